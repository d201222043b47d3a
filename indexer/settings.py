"""Indexer settings, read from `AISLE_INDEXER_*` environment variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["IndexerSettings", "get_indexer_settings"]


class IndexerSettings(BaseSettings):
    """How catalogs become indices."""

    model_config = SettingsConfigDict(
        env_prefix="AISLE_INDEXER_", env_file=".env", extra="ignore", env_ignore_empty=True
    )

    alias: str = Field(default="products", pattern=r"^[a-z0-9][a-z0-9_-]*$", description="The alias searches go to.")
    users_index: str = Field(default="users", pattern=r"^[a-z0-9][a-z0-9_-]*$", description="User profiles index.")
    keep_indices: int = Field(
        default=3, ge=1, description="Versioned indices kept after a swap (the live one included)."
    )
    max_reject_rate: float = Field(default=0.01, ge=0, le=1, description="Largest share of rows that may be rejected.")
    rejects_dir: Path = Field(default=Path("rejects"), description="Where reject files are written.")
    # The encoder sorts each batch by length before padding it into model runs: across 4,096 Home Depot
    # titles the runs hold titles of nearly one length, and encoding cost 3.2 ms of CPU per product
    # instead of 4.2 across 256 (2026-11-21).
    encode_batch_size: int = Field(default=4096, ge=1, description="Products encoded per batch.")
    bulk_chunk_size: int = Field(default=500, ge=1, description="Documents per bulk request.")
    bulk_max_chunk_bytes: int = Field(default=10 * 2**20, ge=2**16, description="Bytes per bulk request at most.")
    bulk_max_retries: int = Field(default=5, ge=0, description="Retries of documents answered with 429.")
    bulk_initial_backoff_s: int = Field(default=1, ge=0, description="First wait before a 429 retry; doubles.")
    bulk_max_backoff_s: int = Field(default=30, ge=0, description="Longest wait between 429 retries.")
    pipeline_depth: int = Field(default=2, ge=1, description="Encoded batches buffered ahead of bulk indexing.")
    hnsw_m: int = Field(default=16, ge=2, le=100, description="HNSW graph degree.")
    # Lucene's default. 40 raised the Home Depot load to 0.89x of the encode-only rate (100: 0.82x on
    # 15,000 products) but lost 0.008 nDCG@10 to approximation (top 10 = exact k-NN's: 94.7% vs 97.9%,
    # benchmarks/hnsw_recall.py).
    hnsw_ef_construction: int = Field(default=100, ge=8, le=2048, description="HNSW build-time candidate list size.")
    # k-NN searches each segment's HNSW graph separately, so fewer segments answer faster: merged to one,
    # Home Depot's k-NN sub-query took half the time of three flushed segments (2026-11-21).
    max_segments: int = Field(
        default=1, ge=0, description="Segments per shard after a full load (a force merge); 0 leaves them as flushed."
    )
    merge_timeout_s: float = Field(default=3600, gt=0, description="Longest wait for that force merge.")
    # Unset, both follow the cluster at build time: one primary per data node spreads indexing and search
    # CPU, and one replica (where a second node exists) keeps every document through the loss of a node.
    shards: int | None = Field(
        default=None, ge=1, description="Primary shards of product indices; unset: one per data node."
    )
    replicas: int | None = Field(
        default=None,
        ge=0,
        description="Replicas restored after loading; unset: 1 where the cluster has two or more data nodes, else 0.",
    )
    lease_ttl_s: float = Field(
        default=60.0, gt=0, description="How long an alias's lease outlives its holder's last heartbeat."
    )
    canary_count: int = Field(default=5, ge=0, description="Products whose own title must find them before a swap.")
    history_size: int = Field(default=50, ge=1, description="Purchases kept per user profile.")
    history_half_life_days: float = Field(default=90.0, gt=0, description="Recency weighting of purchases.")


@lru_cache
def get_indexer_settings() -> IndexerSettings:
    """The process-wide indexer settings (read once)."""
    return IndexerSettings()
