"""Quickstart settings, read from `AISLE_STACK_*` environment variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["StackSettings"]


class StackSettings(BaseSettings):
    """What `aisle up` builds and where it keeps it."""

    model_config = SettingsConfigDict(env_prefix="AISLE_STACK_", env_file=".env", extra="ignore", env_ignore_empty=True)

    home: Path = Field(default=Path(".aisle"), description="Where the store, models, state and API log live.")
    products: int = Field(default=20_000, ge=100, description="Size of the simulated catalog.")
    shoppers: int = Field(default=1_000, ge=10, description="Simulated shoppers.")
    seed: int = Field(default=42, description="Seed of the simulation and of training.")
    train_minutes: float = Field(default=4.0, ge=0, description="Wall-time budget for fine-tuning (0: no limit).")
    train_eval_products: int = Field(
        default=1_000, ge=0, description="Products the dev checkpoints are ranked over (0: the whole catalog)."
    )
    train_max_steps: int = Field(default=0, ge=0, description="Step budget for fine-tuning (0: no limit).")
    api_host: str = Field(default="127.0.0.1", description="Where the API listens.")
    api_port: int = Field(default=8000, ge=0, le=65535, description="API port (0: any free port).")
    api_start_timeout_s: float = Field(default=120.0, gt=0, description="How long the API may take to become ready.")
