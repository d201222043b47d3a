"""How aisle reaches OpenSearch, read from `AISLE_OPENSEARCH_*` environment variables."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import platformdirs
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["ConnectionSettings", "default_node_dir", "get_connection_settings", "running_as_root"]


def running_as_root() -> bool:
    """Whether this process runs as root (OpenSearch then runs as an unprivileged user)."""
    return os.geteuid() == 0


def default_node_dir() -> Path:
    """Where the managed node keeps its config, data, logs and address card."""
    if running_as_root():
        return Path("/var/lib/aisle/node")
    return Path(platformdirs.user_data_dir("aisle")) / "node"


class ConnectionSettings(BaseSettings):
    """The cluster aisle talks to: `url` when set, else the managed node found in `node_dir`."""

    model_config = SettingsConfigDict(
        env_prefix="AISLE_OPENSEARCH_", env_file=".env", extra="ignore", populate_by_name=True, env_ignore_empty=True
    )

    url: str | None = Field(
        default=None, description="An existing cluster, e.g. https://search:9200; several nodes comma-separated."
    )
    username: str | None = Field(default=None, description="Basic-auth user for `url`.")
    password: SecretStr | None = Field(default=None, description="Basic-auth password for `url`.")
    verify_certs: bool = Field(default=True, description="Verify the cluster's TLS certificate.")
    ca_certs: Path | None = Field(default=None, description="CA bundle that signed the cluster's certificate.")
    timeout_s: float = Field(default=30.0, gt=0, description="Per-request timeout.")
    # opensearch-py keeps one connection unless told otherwise, so every request made while another is in
    # flight opened and closed a TCP connection of its own: 1.3 per personalized search at concurrency 4.
    # 40 covers the API's worker threads (anyio's default limit); idle slots cost nothing.
    pool_size: int = Field(
        default=40, ge=1, description="HTTP connections to the cluster kept open for reuse by concurrent requests."
    )
    node_dir: Path = Field(
        default_factory=default_node_dir, description="The managed node's config, data and logs; survives restarts."
    )


@lru_cache
def get_connection_settings() -> ConnectionSettings:
    """The process-wide connection settings (read once)."""
    return ConnectionSettings()
