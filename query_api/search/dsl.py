"""Every OpenSearch request body the API sends. The shopper's text only ever reaches OpenSearch as match text.

Queries (`lexical`, `knn`, `hybrid`, filters and aggregations) compose into bodies (`page`,
`ranked_ids`, `by_ids`, `facet_counts`, `users_page`); field names come from the product document
contract (`kernel.documents.products`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from kernel.documents.products import (
    CATEGORY_TREE_SEPARATOR,
    HIT_FIELDS,
    LEXICAL_FIELDS,
    POPULARITY_WEIGHT,
    category_key,
)
from query_api.schemas import Facet, SearchFilters

__all__ = [
    "MAX_RESULT_WINDOW",
    "PRICE_BUCKETS",
    "aggregations",
    "by_ids",
    "facet_counts",
    "filter_clauses",
    "hybrid",
    "knn",
    "lexical",
    "lexical_excluding",
    "lucene_regexp_literal",
    "page",
    "ranked_ids",
    "users_page",
]

PRICE_BUCKETS = [(None, 25.0), (25.0, 50.0), (50.0, 100.0), (100.0, 250.0), (250.0, None)]
_PRODUCT_FIELDS: dict[str, Any] = {"stored_fields": "_none_", "docvalue_fields": list(HIT_FIELDS)}
_ID_ONLY: dict[str, Any] = {"stored_fields": "_none_", "docvalue_fields": ["id"]}
# OpenSearch's `index.max_result_window`: `from + size` of one query may not pass it.
MAX_RESULT_WINDOW = 10_000

Clauses = list[dict[str, Any]]


def filter_clauses(filters: SearchFilters) -> Clauses:
    """Filter clauses for every part of a query."""
    clauses: Clauses = []
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


def _match(text: str) -> dict[str, Any]:
    return {"multi_match": {"query": text, "fields": LEXICAL_FIELDS, "type": "best_fields", "tie_breaker": 0.3}}


def _tie_broken(query: dict[str, Any]) -> dict[str, Any]:
    # BM25 gives thousands of titles the same score for a one-word query ("bench"); a tiny popularity
    # term (weight x log10(1 + units sold), none when unknown) decides which of them a top-k slice holds,
    # in the hybrid query's BM25 sub-query as in every other, so all the API's paths agree.
    factor = {"field": "popularity", "modifier": "log1p", "missing": 0}
    functions = [{"field_value_factor": factor, "weight": POPULARITY_WEIGHT}]
    return {"function_score": {"query": query, "functions": functions, "boost_mode": "sum"}}


def lexical(text: str, filters: Clauses) -> dict[str, Any]:
    """BM25 over title, brand and description (ties broken by popularity)."""
    return _tie_broken({"bool": {"must": [_match(text)], "filter": filters}} if filters else _match(text))


def lexical_excluding(text: str, filters: Clauses, ids: list[str]) -> dict[str, Any]:
    """BM25 as `lexical`, without the products `ids` (those already shown)."""
    return _tie_broken({"bool": {"must": [_match(text)], "filter": filters, "must_not": [{"ids": {"values": ids}}]}})


def knn(vector: npt.NDArray[np.float32], k: int, filters: Clauses) -> dict[str, Any]:
    """The `k` nearest products to `vector`, filtered during the search (not after it)."""
    # The array goes to the client's serializer as it is (orjson writes float32 rows natively).
    clause: dict[str, Any] = {"vector": vector, "k": k}
    if filters:
        clause["filter"] = {"bool": {"filter": filters}}
    return {"knn": {"vector": clause}}


def hybrid(text: str, vector: npt.NDArray[np.float32], depth: int, filters: Clauses) -> dict[str, Any]:
    """BM25 and k-NN as the two sub-queries of one `hybrid` query, paged within `depth`."""
    return {"hybrid": {"queries": [lexical(text, filters), knn(vector, depth, filters)], "pagination_depth": depth}}


def aggregations(facets: list[Facet], category: str | None) -> dict[str, Any]:
    """Aggregations for the requested facets; categories one level below the `category` filter."""
    aggs: dict[str, Any] = {}
    for facet in facets:
        if facet is Facet.CATEGORY:
            prefix = lucene_regexp_literal(category_key(category) + CATEGORY_TREE_SEPARATOR) if category else ""
            aggs["category"] = {"terms": {"field": "category_tree", "include": prefix + "[^>]+", "size": 30}}
        elif facet is Facet.BRAND:
            aggs["brand"] = {"terms": {"field": "brand", "size": 20}}
        elif facet is Facet.AVAILABILITY:
            aggs["availability"] = {"terms": {"field": "availability", "size": 10}}
        elif facet is Facet.PRICE:
            ranges = [{k: v for k, v in (("from", lo), ("to", hi)) if v is not None} for lo, hi in PRICE_BUCKETS]
            aggs["price"] = {"range": {"field": "price", "ranges": ranges}}
    return aggs


def lucene_regexp_literal(text: str) -> str:
    """`text` matched literally by a Lucene regular expression (`terms.include`).

    Every character but letters, digits and spaces is escaped: Lucene gives `"`, `<`, `&`, `@`, `#` and
    `~` meanings Python's `re.escape` knows nothing of (a category named `55" TVs` broke the facet).
    """
    return "".join(ch if ch.isalnum() or ch == " " else f"\\{ch}" for ch in text)


def page(query: dict[str, Any], from_: int, size: int, aggs: dict[str, Any]) -> dict[str, Any]:
    """One page of products matching `query`, read from doc values, with the facet aggregations."""
    return {"query": query, "from": from_, "size": size, **_PRODUCT_FIELDS, "aggs": aggs}


def ranked_ids(query: dict[str, Any], depth: int, among: list[str] | None = None) -> dict[str, Any]:
    """The ids and scores of the top `depth` products for `query` (for fusion in the service).

    With `among`, the answer also counts how many of those products match (aggregation `among`).
    """
    body = {"query": query, "size": depth, **_ID_ONLY}
    if among is not None:
        body["aggs"] = {"among": {"filter": {"ids": {"values": among}}}}
    return body


def by_ids(
    ids: list[str], filters: Clauses | None = None, vector: npt.NDArray[np.float32] | None = None
) -> dict[str, Any]:
    """The products `ids` (read as a page is); with `vector`, ids only, scored by it (for explanations)."""
    if vector is None:
        return {"query": {"ids": {"values": ids}}, "size": len(ids), **_PRODUCT_FIELDS}
    return ranked_ids(knn(vector, len(ids), [*(filters or []), {"ids": {"values": ids}}]), len(ids))


def facet_counts(queries: list[dict[str, Any]], aggs: dict[str, Any]) -> dict[str, Any]:
    """The facet aggregations over every product any of `queries` matches (no hits)."""
    return {"query": {"bool": {"should": queries}}, "size": 0, "aggs": aggs}


def users_page(query: dict[str, Any], size: int) -> dict[str, Any]:
    """Shoppers of the users index, most purchases first, with their recent history's product ids."""
    return {
        "query": query,
        "size": size,
        "sort": [{"purchases": "desc"}, {"user_id": "asc"}],
        "_source": ["user_id", "purchases", "history.product_id"],
    }
