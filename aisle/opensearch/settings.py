"""Settings of the OpenSearch engine, read from `AISLE_OPENSEARCH_*` environment variables."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import platformdirs
from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["NODE_TUNING", "EngineSettings", "get_engine_settings"]

# Node settings of every node aisle starts (managed or image). The indexing buffer is a node-wide
# share of the heap; Lucene writes a segment, and a separate HNSW graph, each time it fills. At the
# default 10% of a 1 GB heap the Home Depot load flushed three segments that the publish step then
# merged for 17 s; a larger share lets a catalog that size land in one segment.
NODE_TUNING: dict[str, str] = {"indices.memory.index_buffer_size": "35%"}


def _running_as_root() -> bool:
    return os.geteuid() == 0


def _default_cache_dir() -> Path:
    # Root's home is private (0700), but the node runs as an unprivileged user that must read the
    # distribution: so root keeps it in the system cache, everyone else in their own.
    if _running_as_root():
        return Path("/var/cache/aisle/opensearch")
    return Path(platformdirs.user_cache_dir("aisle")) / "opensearch"


def _default_node_dir() -> Path:
    if _running_as_root():
        return Path("/var/lib/aisle/node")
    return Path(platformdirs.user_data_dir("aisle")) / "node"


class EngineSettings(BaseSettings):
    """Where OpenSearch comes from, where it runs, and how aisle connects to it.

    With `url` set, aisle uses that cluster and never starts a node of its own.
    """

    model_config = SettingsConfigDict(
        env_prefix="AISLE_OPENSEARCH_", env_file=".env", extra="ignore", populate_by_name=True, env_ignore_empty=True
    )

    url: str | None = Field(default=None, description="An existing cluster, e.g. https://search:9200.")
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

    # 3.6 on Java 21-25: Lucene's SIMD distances cost OpenSearch a quarter less CPU per indexed document
    # than 2.19 on Java 17 (0.48 vs 0.65 ms on 15,000 Home Depot products, benchmarks/index_throughput.py).
    # "2.19" still works (Java 11-21) and CI has run the whole suite on both.
    version_line: str = Field(default="3.6", description="Release line to pick the newest complete version from.")
    version: str | None = Field(default=None, description="Exact version; overrides `version_line`.")
    maven_url: str = Field(default="https://repo1.maven.org/maven2", description="Maven repository base URL.")
    local_maven_repo: Path = Field(
        default=Path.home() / ".m2" / "repository",
        description="A local Maven repository, used first when it has a file.",
    )
    modules: list[str] = Field(
        default=["lang-painless", "analysis-common", "reindex", "mapper-extras"],
        description="Modules aisle needs; rebuilt from their Maven jars where the server zip lacks them (2.x).",
    )
    plugins: list[str] = Field(
        default=["opensearch-knn", "neural-search"], description="Plugin zips installed, in this order."
    )
    cache_dir: Path = Field(default_factory=_default_cache_dir, description="Assembled distributions, by version.")
    node_dir: Path = Field(
        default_factory=_default_node_dir, description="The managed node's config, data and logs; survives restarts."
    )
    port: int | None = Field(
        default=None, ge=1, le=65535, description="HTTP port of the managed node; unset picks 9200 or a free port."
    )
    heap: str = Field(default="1g", pattern=r"^\d+[mg]$", description="JVM heap, e.g. 1g or 512m.")
    start_timeout_s: float = Field(default=180.0, gt=0, description="How long to wait for a green node.")
    run_as_user: str = Field(
        default="aisle-opensearch", description="Unprivileged user the node runs as when aisle is run as root."
    )
    debian_mirror: str = Field(
        default="http://deb.debian.org/debian",
        description="Debian mirror the container image's root filesystem comes from.",
    )
    debian_suite: str = Field(default="bookworm", description="Debian release of the container image.")
    java_home: Path | None = Field(
        default=None,
        validation_alias=AliasChoices("AISLE_OPENSEARCH_JAVA_HOME", "OPENSEARCH_JAVA_HOME"),
        description="Java to run OpenSearch with.",
    )
    fallback_java_home: Path | None = Field(
        default=None, validation_alias="JAVA_HOME", description="The usual JAVA_HOME, tried after java_home."
    )


@lru_cache
def get_engine_settings() -> EngineSettings:
    """The process-wide engine settings (read once)."""
    return EngineSettings()
