"""`/search`: GET with query parameters, POST with a JSON body; both answer a `SearchResponse`."""

from __future__ import annotations

import time
from typing import Any, get_origin

from fastapi import APIRouter, Depends, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError

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


class SearchQuery(BaseModel):
    """The query parameters of `GET /search`, validated in one pass.

    Declared as 18 function parameters, FastAPI resolved them one by one on every request (type
    introspection included): a fifth of the API's CPU per search. One model validation does the same
    checks, with the same error locations; the OpenAPI document describes them from this model.
    """

    model_config = ConfigDict(populate_by_name=True)

    q: str = Field(min_length=1, description="What the shopper typed.")
    user_id: str | None = None
    size: int = Field(default=10, ge=1)
    from_: int = Field(default=0, alias="from", ge=0)
    category: str | None = Field(default=None, description="Category path prefix, e.g. `Tools > Power Tools`.")
    brand: list[str] = []
    price: str | None = Field(default=None, description="`min-max`, `min-` or `-max`.", pattern=PRICE_PATTERN)
    availability: list[Availability] = []
    facets: list[Facet] = []
    mode: Mode | None = None
    fusion: Fusion | None = None
    lexical_weight: float | None = Field(default=None, ge=0, le=1)
    rank_constant: int | None = Field(default=None, ge=1, le=10_000)
    explain: bool = False
    rerank: bool | None = None
    rerank_depth: int | None = Field(default=None, ge=1, le=10_000)
    max_per_brand: int | None = Field(default=None, ge=0, le=1_000)
    correct_spelling: bool = True


_REPEATED = {name for name, field in SearchQuery.model_fields.items() if get_origin(field.annotation) is list}


def _openapi_parameters() -> list[dict[str, Any]]:
    schema = SearchQuery.model_json_schema(by_alias=True)
    definitions = schema.get("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return inline(definitions[node["$ref"].rsplit("/", 1)[1]])
            return {k: inline(v) for k, v in node.items() if k != "title"}
        if isinstance(node, list):
            return [inline(v) for v in node]
        return node

    parameters = []
    for name, prop in schema["properties"].items():
        prop = inline(prop)
        description = prop.pop("description", None)
        parameter: dict[str, Any] = {"name": name, "in": "query", "required": name in schema.get("required", [])}
        parameter["schema"] = prop
        if description:
            parameter["description"] = description
        parameters.append(parameter)
    return parameters


@router.get("", response_model=SearchResponse, openapi_extra={"parameters": _openapi_parameters()})
def search_get(request: Request, service: SearchServiceDep, metrics: MetricsDep) -> Response:
    """Search with query parameters (repeat `brand`, `availability` and `facets` for several values)."""
    params = request.query_params
    unknown = sorted(set(params) - GET_PARAMETERS)
    if unknown:
        raise UnknownFilterError(
            f"Unknown parameter(s) {', '.join(unknown)}; filters are {', '.join(FILTER_FIELDS)}.", field=unknown[0]
        )
    raw = {name: params.getlist(name) if name in _REPEATED else params[name] for name in params}
    # The same model as POST validates GET, and its errors take the same way out.
    try:
        query = SearchQuery.model_validate(raw)
        search = SearchRequest.model_validate(
            {
                **query.model_dump(
                    by_alias=True, exclude={"category", "brand", "price", "availability"}, exclude_none=False
                ),
                "filters": SearchFilters(
                    category=query.category,
                    brand=query.brand,
                    availability=query.availability,
                    price=parse_price(query.price) if query.price else None,
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
