"""Two-tower product/query encoders with taxonomy hard negatives, and the user tower."""

from __future__ import annotations

from encoders.backends import OnnxTextEncoder, TextEncoder, TorchTextEncoder
from encoders.errors import EncoderError
from encoders.export import export_model
from encoders.fingerprint import EncoderFingerprint
from encoders.loading import BASE_MODEL_ID, Encoder, base_model_dir, load_encoder
from encoders.settings import Backend, EncoderSettings, get_encoder_settings
from encoders.text import ProductTextTemplate

__all__ = [
    "BASE_MODEL_ID",
    "Backend",
    "Encoder",
    "EncoderError",
    "EncoderFingerprint",
    "EncoderSettings",
    "OnnxTextEncoder",
    "ProductTextTemplate",
    "TextEncoder",
    "TorchTextEncoder",
    "base_model_dir",
    "export_model",
    "get_encoder_settings",
    "load_encoder",
]
