"""Request and response models of the search API (they are the OpenAPI schema)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, field_validator, model_validator

from kernel.product import Availability

__all__ = [
    "Facet",
    "FacetBucket",
    "Fusion",
    "Hit",
    "HitExplanation",
    "Mode",
    "Personalization",
    "PriceRange",
    "Ranking",
    "RankingOutcome",
    "SearchFilters",
    "SearchRequest",
    "SearchResponse",
]


def _json_integer(value: Any) -> Any:
    # As JSON Schema reads "integer": 10 and 10.0, never "10" or true (pydantic's lax mode takes both).
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("Input should be a JSON integer")
    if isinstance(value, float) and not value.is_integer():
        raise ValueError("Input should be a whole number")
    return int(value)


JsonInt = Annotated[int, BeforeValidator(_json_integer)]
JsonNumber = Annotated[float, Field(strict=True)]  # strict float: a JSON number, never a string


class Mode(StrEnum):
    """What ranks the results."""

    BM25 = "bm25"
    DENSE = "dense"
    HYBRID = "hybrid"
    PERSONALIZED = "personalized"


class Fusion(StrEnum):
    """How BM25 and dense scores are blended in hybrid modes."""

    MINMAX = "minmax"  # min-max normalize each, then a weighted mean
    RRF = "rrf"  # reciprocal rank fusion


class Facet(StrEnum):
    """Facets a request may ask for."""

    CATEGORY = "category"
    BRAND = "brand"
    PRICE = "price"
    AVAILABILITY = "availability"


class PriceRange(BaseModel):
    """Inclusive price bounds; either may be open."""

    model_config = ConfigDict(extra="forbid")

    min: Annotated[JsonNumber, Field(ge=0, allow_inf_nan=False)] | None = None
    max: Annotated[JsonNumber, Field(ge=0, allow_inf_nan=False)] | None = None

    @model_validator(mode="after")
    def _ordered(self) -> PriceRange:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"price min {self.min} is above max {self.max}")
        return self


class SearchFilters(BaseModel):
    """Filters applied to every part of the query."""

    model_config = ConfigDict(extra="forbid")

    category: str | None = Field(default=None, description="Category path prefix, e.g. `Tools > Power Tools`.")
    brand: list[str] = Field(default=[], description="Any of these brands.")
    price: PriceRange | None = None
    availability: list[Availability] = Field(default=[], description="Any of these stock states.")


class SearchRequest(BaseModel):
    """A search, as POSTed to `/search` (GET takes the same as query parameters)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    q: str = Field(min_length=1, description="What the shopper typed.")
    user_id: str | None = Field(
        default=None, max_length=256, description="The shopper, for personalization; blank means anonymous."
    )
    size: JsonInt = Field(default=10, ge=1, description="Hits per page.")
    from_: JsonInt = Field(
        default=0, ge=0, alias="from", description="Hits to skip (page × size); a page past the results is empty."
    )
    filters: SearchFilters = Field(default_factory=SearchFilters)
    facets: list[Facet] = Field(default=[], description="Facets to count over the matching products.")
    mode: Mode | None = Field(default=None, description="Ranking mode; default `personalized`.")
    fusion: Fusion | None = Field(default=None, description="Blend of BM25 and dense scores; default `minmax`.")
    lexical_weight: Annotated[JsonNumber, Field(ge=0, le=1)] | None = Field(
        default=None, description="BM25 weight in min-max fusion."
    )
    rank_constant: Annotated[int, Field(ge=1, le=10_000), BeforeValidator(_json_integer)] | None = Field(
        default=None, description="RRF rank constant."
    )
    explain: StrictBool = Field(default=False, description="Explain each hit's score.")
    correct_spelling: StrictBool = Field(
        default=True,
        description="Correct words the catalog never uses toward ones it does (when a vocabulary is served).",
    )
    rerank: StrictBool | None = Field(
        default=None, description="Re-rank with the learned ranker (default: when one is loaded); false opts out."
    )
    rerank_depth: Annotated[int, Field(ge=1, le=10_000), BeforeValidator(_json_integer)] | None = Field(
        default=None, description="Fused candidates the ranker re-orders (default: the API's)."
    )
    max_per_brand: Annotated[int, Field(ge=0, le=1_000), BeforeValidator(_json_integer)] | None = Field(
        default=None,
        description="Most hits of one brand on the first page unless the query names the brand (0: no limit; "
        "default: the API's).",
    )

    @field_validator("user_id")
    @classmethod
    def _blank_is_anonymous(cls, user_id: str | None) -> str | None:
        # Frontends send `user_id=` for signed-out shoppers; there is no such user to look up.
        return user_id if user_id and user_id.strip() else None


class HitExplanation(BaseModel):
    """Why a hit scored what it did."""

    lexical_score: float | None = Field(description="Raw BM25 score (None: not matched lexically).")
    semantic_score: float | None = Field(description="Raw k-NN score with the query vector used.")
    lexical_normalized: float | None = None
    semantic_normalized: float | None = None
    lexical_weight: float | None = None
    semantic_weight: float | None = None
    rank_constant: int | None = None
    fused_score: float
    semantic_score_unpersonalized: float | None = Field(
        default=None, description="k-NN score the plain query vector would have given."
    )
    personal_delta: float | None = Field(
        default=None, description="How much the personal signal moved the semantic score."
    )
    cross_encoder_score: float | None = Field(
        default=None, description="The cross-encoder's score (a logit), for hits it scored."
    )
    ranker_score: float | None = Field(
        default=None,
        description="The score the ranking stage ordered by (the learned ranker's, else the cross-encoder's).",
    )
    contributions: dict[str, float] | None = Field(
        default=None,
        description="Each feature's share of the ranker's score, and `expected_value`: together they add up to it.",
    )


class Hit(BaseModel):
    """One product in the results."""

    id: str
    title: str
    brand: str | None = None
    category: str | None = None
    price: float | None = None
    currency: str | None = None
    availability: str | None = None
    image_url: str | None = None
    score: float
    explanation: HitExplanation | None = None


class FacetBucket(BaseModel):
    """One facet value and how many matching products have it."""

    value: str
    count: int


class Personalization(BaseModel):
    """Whether the shopper's history (or profile) shaped the ranking, and if not, why."""

    requested: bool
    applied: bool
    reason: str
    history_size: int = 0
    demographics_applied: bool = Field(
        default=False, description="The shopper's profile (region, customer type, ...) moved the query vector."
    )


class RankingOutcome(StrEnum):
    """What the ranking stage did with a search (a stable code; `reason` says it in words)."""

    APPLIED = "applied"
    FAILED = "failed"  # a model raised: the fused order was served
    OVER_BUDGET = "over_budget"  # slower than AISLE_API_RERANK_BUDGET_MS: the fused order was served
    TURNED_OFF = "turned_off"  # the request said rerank=false
    NOT_LOADED = "not_loaded"  # no ranker or cross-encoder is served
    NOT_HYBRID = "not_hybrid"  # bm25 and dense searches are not re-ranked
    NO_CANDIDATES = "no_candidates"


class Ranking(BaseModel):
    """Whether the ranking stage re-ordered the fused candidates, and if not, why."""

    applied: bool
    outcome: RankingOutcome
    reason: str
    model: str | None = Field(default=None, description="The ranker's name.")
    depth: int = Field(default=0, description="Fused candidates it re-ordered.")
    ms: float = Field(default=0.0, description="What the ranking stage took.")


class SearchResponse(BaseModel):
    """One page of results."""

    query: str
    corrected_query: str | None = Field(
        default=None, description="The query as searched, when spelling correction changed it."
    )
    mode: Mode = Field(description="The mode requested.")
    mode_used: Mode = Field(description="The mode that ranked (personalized falls back to hybrid).")
    fusion: Fusion | None
    fused_in: str | None = Field(
        description="`opensearch` (search pipeline) or `service` (client-side), for hybrid modes."
    )
    total: int
    size: int
    from_: int = Field(serialization_alias="from")
    hits: list[Hit]
    facets: dict[str, list[FacetBucket]]
    personalization: Personalization
    ranking: Ranking
    took_ms: float
