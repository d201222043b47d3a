"""Encoder settings, read from `AISLE_ENCODER_*` environment variables."""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Backend", "EncoderSettings", "QueryTower", "get_encoder_settings"]


class Backend(StrEnum):
    """How text is turned into vectors."""

    AUTO = "auto"  # ONNX int8 when the model directory has it, else torch
    TORCH = "torch"
    ONNX = "onnx"
    ONNX_INT8 = "onnx-int8"


class QueryTower(StrEnum):
    """What encodes queries (products are always encoded by the transformer)."""

    AUTO = "auto"  # the static tower when the model has one trained against its products, else the transformer
    TRANSFORMER = "transformer"
    STATIC = "static"  # the static tower beside the model (`aisle encoders query-tower`); an error without one


class EncoderSettings(BaseSettings):
    """Which model encodes products and queries, and how."""

    model_config = SettingsConfigDict(
        env_prefix="AISLE_ENCODER_", env_file=".env", extra="ignore", env_ignore_empty=True
    )

    model_dir: Path | None = Field(
        default=None, description="A sentence-transformers model directory; unset = the bundled all-MiniLM-L6-v2."
    )
    backend: Backend = Field(default=Backend.AUTO, description="Inference backend.")
    batch_size: int = Field(default=64, ge=1, le=4096, description="Texts encoded per batch.")
    max_seq_length: int = Field(default=64, ge=8, le=512, description="Tokens kept per text (titles are short).")
    threads: int = Field(
        default=0,
        ge=0,
        description="Inference threads per call; 0 = one per core. ONNX runs a call of several batches side by side.",
    )
    spin: bool = Field(
        default=False, description="Let idle ONNX Runtime threads busy-wait (faster alone, slower beside OpenSearch)."
    )
    query_cache_size: int = Field(default=10_000, ge=0, description="Query vectors kept in the LRU cache.")
    query_tower: QueryTower = Field(
        default=QueryTower.AUTO,
        description="What encodes queries: auto (the static tower when one was trained beside the model), "
        "transformer, or static.",
    )


@lru_cache
def get_encoder_settings() -> EncoderSettings:
    """The process-wide encoder settings (read once)."""
    return EncoderSettings()
