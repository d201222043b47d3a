"""Query API settings, read from `AISLE_API_*` environment variables."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from query_api.schemas import Fusion, Mode

__all__ = ["QueryApiSettings", "get_settings"]


class QueryApiSettings(BaseSettings):
    """How the search service searches, and what it accepts."""

    model_config = SettingsConfigDict(env_prefix="AISLE_API_", env_file=".env", extra="ignore", env_ignore_empty=True)

    host: str = Field(default="127.0.0.1", description="Address `aisle serve` binds.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port `aisle serve` binds.")
    alias: str = Field(default="products", description="Product alias searched.")
    users_index: str = Field(default="users", description="User profiles alias.")
    default_mode: Mode = Field(default=Mode.PERSONALIZED, description="Mode when a request names none.")
    default_fusion: Fusion = Field(default=Fusion.MINMAX, description="Fusion when a request names none.")
    # Chosen on the dev splits of Home Depot and a SIMULATED 10k store (base model, no ranker): the
    # weight whose worse nDCG@10 ratio to BM25 over the two is highest. 0.3 / 0.5 / 0.7 / 0.8 / 0.9 gave
    # 0.83 / 0.95 / 1.013 / 1.002 / 0.98 (RRF 0.91); README, "Calibrated defaults".
    lexical_weight: float = Field(default=0.7, ge=0, le=1, description="BM25 weight in min-max fusion.")
    rank_constant: int = Field(default=60, ge=1, le=10_000, description="RRF rank constant.")
    personal_weight: float = Field(
        default=0.5, ge=0, le=5, description="How far the user vector pulls the query vector."
    )
    # A hybrid query on one shard fetches every candidate before fusion trims the page: on Home Depot,
    # depth 50 cost OpenSearch 2.0 ms of CPU per search against 3.2 ms at 100, for 0.002 less dev
    # nDCG@10 (0.4949 vs 0.4972). 50 still pages two pages of 24.
    pagination_depth: int = Field(default=50, ge=10, le=10_000, description="Results per sub-query fused and paged.")
    rerank_depth: int = Field(default=50, ge=1, le=10_000, description="Fused candidates the learned ranker re-orders.")
    rerank_budget_ms: float = Field(
        default=25.0, gt=0, description="Longest the ranking stage may take; slower, the fused order is served."
    )
    cross_encoder_depth: int = Field(
        default=20, ge=0, le=1_000, description="Fused candidates the cross-encoder scores, if there is one (0: off)."
    )
    spelling: bool = Field(
        default=True, description="Correct query words toward the catalog's (spelling.json beside the model, if any)."
    )
    max_per_brand: int = Field(
        default=0,
        ge=0,
        le=1_000,
        description="Most hits of one brand in the first `diversity_window` places unless the query names it (0: off).",
    )
    diversity_window: int = Field(default=10, ge=1, le=1_000, description="Places the brand limit applies to.")
    ranker_dir: Path | None = Field(
        default=None, description="A trained ranker (default: `ranker/` in the encoder's model directory, if any)."
    )
    max_size: int = Field(default=50, ge=1, description="Largest page size.")
    max_query_chars: int = Field(default=256, ge=1, description="Longest accepted query.")
    timeout_s: float = Field(default=5.0, gt=0, description="OpenSearch request timeout.")
    retry_after_s: int = Field(default=5, ge=1, description="Retry-After sent with a 503.")
    user_cache_ttl_s: float = Field(default=60.0, ge=0, description="How long a user profile is cached.")
    user_cache_size: int = Field(default=10_000, ge=0, description="User profiles cached at most.")
    api_key: str | None = Field(default=None, description="When set, requests need it in the X-API-Key header.")
    metrics_need_key: bool = Field(
        default=False, description="With an API key set, /metrics needs it too (scrapers then send X-API-Key)."
    )
    max_body_bytes: int = Field(default=64 * 1024, ge=1024, description="Largest request body read.")
    demo_shoppers: int = Field(default=18, ge=0, le=200, description="Shoppers the demo page offers to search as.")
    cors_origins: list[str] = Field(default=[], description="Origins allowed to call the API from a browser.")
    fusion_in_opensearch: bool | None = Field(
        default=None, description="Force fusion inside OpenSearch (true) or in the service (false); unset: detect."
    )


@lru_cache
def get_settings() -> QueryApiSettings:
    """The process-wide API settings (read once)."""
    return QueryApiSettings()
