"""Settings of the managed OpenSearch node, read from `AISLE_OPENSEARCH_*` environment variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import platformdirs
from pydantic import AliasChoices, Field

from kernel.opensearch.settings import ConnectionSettings, running_as_root

__all__ = ["NODE_TUNING", "EngineSettings", "get_engine_settings"]

# Node settings of every node aisle starts (managed or image). The indexing buffer is a node-wide
# share of the heap; Lucene writes a segment, and a separate HNSW graph, each time it fills. At the
# default 10% of a 1 GB heap the Home Depot load flushed three segments that the publish step then
# merged for 17 s; a larger share lets a catalog that size land in one segment.
NODE_TUNING: dict[str, str] = {"indices.memory.index_buffer_size": "35%"}


def _default_cache_dir() -> Path:
    # Root's home is private (0700), but the node runs as an unprivileged user that must read the
    # distribution: so root keeps it in the system cache, everyone else in their own.
    if running_as_root():
        return Path("/var/cache/aisle/opensearch")
    return Path(platformdirs.user_cache_dir("aisle")) / "opensearch"


class EngineSettings(ConnectionSettings):
    """Where the managed node's OpenSearch comes from and how it runs, beside how aisle connects to it.

    With `url` set, aisle uses that cluster and never starts a node of its own.
    """

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
