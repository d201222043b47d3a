"""OpenSearch query bodies. The shopper's text only ever reaches OpenSearch as match text."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import numpy.typing as npt

from query_api.schemas import Facet, SearchFilters

__all__ = [
    "HIT_FIELDS", "IDS_ONLY", "PRICE_BUCKETS", "aggregations", "filter_clauses", "hit_id", "hit_source", "hybrid",
    "knn", "lexical",
]  # fmt: skip

LEXICAL_FIELDS = ["title^3", "title.plain^1.5", "brand.text^2", "description"]
PRICE_BUCKETS = [(None, 25.0), (25.0, 50.0), (50.0, 100.0), (100.0, 250.0), (250.0, None)]
# A hit's fields, its id included, come from doc values; stored fields (`_source`, `_id`) are never
# read. A hybrid query on one shard fetches all `pagination_depth` candidates before normalization
# trims the page: rebuilding each candidate's source (the vector is derived from the k-NN segment
# files) cost 3x the query itself, and reading just `_id` from the compressed stored fields still
# cost 1 ms per 50 candidates, more than the BM25 sub-query (measured on Home Depot, 2026-11-21).
_DOC_VALUE_FIELDS = {
    "id": "id", "title.exact": "title", "brand": "brand", "category_path": "category_path", "price": "price",
    "currency": "currency", "availability": "availability", "image_url": "image_url",
}  # fmt: skip
HIT_FIELDS: dict[str, Any] = {"stored_fields": "_none_", "docvalue_fields": list(_DOC_VALUE_FIELDS)}
IDS_ONLY: dict[str, Any] = {"stored_fields": "_none_", "docvalue_fields": ["id"]}
# The category path is stored with ">" between levels (path_hierarchy); requests use " > ".
_TREE_SEPARATOR = ">"


def category_key(path: str) -> str:
    """`Tools > Power Tools` as stored in `category_tree`: `Tools>Power Tools`."""
    return _TREE_SEPARATOR.join(part.strip() for part in path.split(">") if part.strip())


def hit_id(hit: dict[str, Any]) -> str:
    """The product id of a hit fetched with `HIT_FIELDS` or `IDS_ONLY`."""
    return str(hit["fields"]["id"][0])


def hit_source(hit: dict[str, Any]) -> dict[str, Any]:
    """A hit fetched with `HIT_FIELDS` as a product dict (`title`, `brand`, `price`, ...)."""
    fields = hit.get("fields", {})
    return {name: fields[field][0] for field, name in _DOC_VALUE_FIELDS.items() if fields.get(field)}


def filter_clauses(filters: SearchFilters) -> list[dict[str, Any]]:
    """Filter clauses for every part of a query."""
    clauses: list[dict[str, Any]] = []
    if filters.category:
        clauses.append({"term": {"category_tree": category_key(filters.category)}})
    if filters.brand:
        clauses.append({"terms": {"brand": filters.brand}})
    if filters.price and (filters.price.min is not None or filters.price.max is not None):
        bounds = {k: v for k, v in (("gte", filters.price.min), ("lte", filters.price.max)) if v is not None}
        clauses.append({"range": {"price": bounds}})
    if filters.availability:
        clauses.append({"terms": {"availability": [a.value for a in filters.availability]}})
    return clauses


def lexical(text: str, filters: list[dict[str, Any]]) -> dict[str, Any]:
    """BM25 over title, brand and description."""
    match = {"multi_match": {"query": text, "fields": LEXICAL_FIELDS, "type": "best_fields", "tie_breaker": 0.3}}
    return {"bool": {"must": [match], "filter": filters}} if filters else match


def knn(vector: npt.NDArray[np.float32], k: int, filters: list[dict[str, Any]]) -> dict[str, Any]:
    """The `k` nearest products to `vector`, filtered during the search (not after it)."""
    # The array goes to the client's serializer as it is (orjson writes float32 rows natively).
    clause: dict[str, Any] = {"vector": vector, "k": k}
    if filters:
        clause["filter"] = {"bool": {"filter": filters}}
    return {"knn": {"vector": clause}}


def hybrid(text: str, vector: npt.NDArray[np.float32], depth: int, filters: list[dict[str, Any]]) -> dict[str, Any]:
    """BM25 and k-NN as the two sub-queries of one `hybrid` query, paged within `depth`."""
    return {"hybrid": {"queries": [lexical(text, filters), knn(vector, depth, filters)], "pagination_depth": depth}}


def aggregations(facets: list[Facet], category: str | None) -> dict[str, Any]:
    """Aggregations for the requested facets; categories one level below the `category` filter."""
    aggs: dict[str, Any] = {}
    for facet in facets:
        if facet is Facet.CATEGORY:
            prefix = re.escape(category_key(category)) + _TREE_SEPARATOR if category else ""
            aggs["category"] = {"terms": {"field": "category_tree", "include": prefix + "[^>]+", "size": 30}}
        elif facet is Facet.BRAND:
            aggs["brand"] = {"terms": {"field": "brand", "size": 20}}
        elif facet is Facet.AVAILABILITY:
            aggs["availability"] = {"terms": {"field": "availability", "size": 10}}
        elif facet is Facet.PRICE:
            ranges = [{k: v for k, v in (("from", lo), ("to", hi)) if v is not None} for lo, hi in PRICE_BUCKETS]
            aggs["price"] = {"range": {"field": "price", "ranges": ranges}}
    return aggs
