"""`/search`: GET with query parameters, POST with a JSON body; both answer a `SearchResponse`."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from kernel.product import Availability
from query_api.deps import MetricsDep, SearchServiceDep, require_api_key
from query_api.errors import MalformedPriceRangeError, UnknownFilterError
from query_api.schemas import (
    Facet,
    Fusion,
    Mode,
    PriceRange,
    RankingOutcome,
    SearchFilters,
    SearchRequest,
    SearchResponse,
)

__all__ = ["router"]

router = APIRouter(prefix="/search", tags=["search"], dependencies=[Depends(require_api_key)])

GET_PARAMETERS = {
    "q",
    "user_id",
    "size",
    "from",
    "category",
    "brand",
    "price",
    "availability",
    "facets",
    "mode",
    "fusion",
    "lexical_weight",
    "rank_constant",
    "explain",
    "rerank",
    "rerank_depth",
    "max_per_brand",
    "correct_spelling",
}
FILTER_FIELDS = ("category", "brand", "price", "availability")
# What a price range looks like; min ≤ max is checked after (a pattern cannot say it).
PRICE_PATTERN = r"^\s*(\d+(\.\d+)?)?\s*-\s*(\d+(\.\d+)?)?\s*$"


def parse_price(text: str) -> PriceRange:
    """`10-50`, `10-` or `-50` as a price range.

    Raises:
        MalformedPriceRangeError: anything else, or min above max.
    """
    low, sep, high = text.partition("-")
    try:
        if not sep:
            raise ValueError("no '-'")
        return PriceRange(min=float(low) if low.strip() else None, max=float(high) if high.strip() else None)
    except (ValueError, ValidationError) as exc:
        raise MalformedPriceRangeError(
            f"price {text!r} is not a range: write min-max (e.g. 10-50), 10- or -50, with min ≤ max.", field="price"
        ) from exc


@router.get("", response_model=SearchResponse)
def search_get(
    request: Request,
    service: SearchServiceDep,
    metrics: MetricsDep,
    q: Annotated[str, Query(min_length=1, description="What the shopper typed.")],
    user_id: str | None = None,
    size: Annotated[int, Query(ge=1)] = 10,
    from_: Annotated[int, Query(alias="from", ge=0)] = 0,
    category: Annotated[str | None, Query(description="Category path prefix, e.g. `Tools > Power Tools`.")] = None,
    brand: Annotated[list[str] | None, Query()] = None,
    price: Annotated[str | None, Query(description="`min-max`, `min-` or `-max`.", pattern=PRICE_PATTERN)] = None,
    availability: Annotated[list[Availability] | None, Query()] = None,
    facets: Annotated[list[Facet] | None, Query()] = None,
    mode: Mode | None = None,
    fusion: Fusion | None = None,
    lexical_weight: Annotated[float | None, Query(ge=0, le=1)] = None,
    rank_constant: Annotated[int | None, Query(ge=1, le=10_000)] = None,
    explain: bool = False,
    rerank: bool | None = None,
    rerank_depth: Annotated[int | None, Query(ge=1, le=10_000)] = None,
    max_per_brand: Annotated[int | None, Query(ge=0, le=1_000)] = None,
    correct_spelling: bool = True,
) -> Response:
    """Search with query parameters (repeat `brand`, `availability` and `facets` for several values)."""
    unknown = sorted(set(request.query_params) - GET_PARAMETERS)
    if unknown:
        raise UnknownFilterError(
            f"Unknown parameter(s) {', '.join(unknown)}; filters are {', '.join(FILTER_FIELDS)}.", field=unknown[0]
        )
    # The same model as POST validates GET, and its errors take the same way out.
    try:
        search = SearchRequest.model_validate(
            {
                "q": q,
                "user_id": user_id,
                "size": size,
                "from": from_,
                "facets": facets or [],
                "mode": mode,
                "fusion": fusion,
                "lexical_weight": lexical_weight,
                "rank_constant": rank_constant,
                "explain": explain,
                "rerank": rerank,
                "rerank_depth": rerank_depth,
                "max_per_brand": max_per_brand,
                "correct_spelling": correct_spelling,
                "filters": SearchFilters(
                    category=category,
                    brand=brand or [],
                    availability=availability or [],
                    price=parse_price(price) if price else None,
                ),
            }
        )
    except ValidationError as exc:
        raise RequestValidationError(exc.errors()) from exc
    return _run(service, metrics, search)


@router.post("", response_model=SearchResponse)
def search_post(body: SearchRequest, service: SearchServiceDep, metrics: MetricsDep) -> Response:
    """Search with a JSON body."""
    return _run(service, metrics, body)


def _run(service: SearchServiceDep, metrics: MetricsDep, search: SearchRequest) -> Response:
    started = time.perf_counter()
    response = service.search(search)
    metrics.latency.labels(mode=response.mode_used.value).observe(time.perf_counter() - started)
    outcome = response.ranking.outcome
    if outcome is not RankingOutcome.NOT_HYBRID:
        metrics.ranking.labels(outcome=outcome.value).inc()
    if outcome in (RankingOutcome.APPLIED, RankingOutcome.OVER_BUDGET):
        metrics.ranking_latency.observe(response.ranking.ms / 1000)
    # Serialized here, in the worker thread: returned as a model, FastAPI would validate it again in a
    # second trip through the thread pool before writing it out.
    return Response(response.model_dump_json(by_alias=True), media_type="application/json")
