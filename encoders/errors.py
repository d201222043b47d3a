"""Errors of the encoders.

AisleError
└── EncoderError
    ├── ModelNotFoundError      a model directory is missing or incomplete
    ├── TemplateError           a product text template names an unknown field
    ├── ExportError             ONNX export or quantization failed
    └── TrainingDataError       training data is empty or inconsistent
"""

from __future__ import annotations

from kernel.errors import AisleError

__all__ = ["EncoderError", "ExportError", "ModelNotFoundError", "TemplateError", "TrainingDataError"]


class EncoderError(AisleError):
    """Something about an encoder went wrong."""


class ModelNotFoundError(EncoderError):
    """A model directory is missing or lacks the files a backend needs."""


class TemplateError(EncoderError):
    """A product text template is malformed."""


class ExportError(EncoderError):
    """Exporting a model to ONNX (or quantizing it) failed."""


class TrainingDataError(EncoderError):
    """Training data cannot be used as given."""
