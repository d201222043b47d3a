"""Every field aisle writes or queries exists in the mapping it writes to or queries."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np

from kernel.data.events import PurchaseEvent
from kernel.documents import load_mapping
from kernel.documents.products import HIT_FIELDS, LEXICAL_FIELDS, PRODUCTS_MAPPING, to_document
from kernel.documents.users import USERS_MAPPING, user_document
from kernel.product import Product
from query_api.schemas import Facet, PriceRange, SearchFilters
from query_api.search import dsl

VECTOR = np.ones(4, dtype=np.float32) / 2


def _fields(mapping_name: str) -> set[str]:
    """Every field path the mapping defines: properties, sub-fields, and any key under a flat_object."""
    body = load_mapping(mapping_name, meta={}, shards=1, replicas=0, dimension=4, hnsw_m=16, hnsw_ef_construction=100)

    def walk(properties: dict[str, Any], prefix: str) -> set[str]:
        found = set()
        for name, spec in properties.items():
            path = f"{prefix}{name}"
            found.add(path)
            if spec.get("type") == "flat_object":
                found.add(f"{path}.*")
            found |= {f"{path}.{sub}" for sub in spec.get("fields", {})}
            found |= walk(spec.get("properties", {}), f"{path}.")
        return found

    return walk(body["mappings"]["properties"], "")


def _known(field: str, fields: set[str]) -> bool:
    head = field.split(".")[0]
    return field in fields or f"{head}.*" in fields


def _referenced(body: Any) -> set[str]:
    """The field names a request body refers to (queries, filters, aggregations, sorting, fetched fields)."""
    found: set[str] = set()
    if isinstance(body, list):
        for item in body:
            found |= _referenced(item)
    elif isinstance(body, dict):
        for key, value in body.items():
            if key in ("term", "terms", "range", "match", "knn") and isinstance(value, dict) and "field" not in value:
                found |= {k for k in value if k not in ("boost",)}
            elif key == "multi_match":
                found |= {f.split("^")[0] for f in value["fields"]}
            elif key in ("docvalue_fields", "_source") and isinstance(value, list):
                found |= set(value)
            elif key == "field" and isinstance(value, str):
                found.add(value)
            elif key == "sort":
                found |= {k for item in value for k in item}
            if not (key == "vector" and not isinstance(value, dict)):
                found |= _referenced(value)
    return found


def _every_body() -> list[dict[str, Any]]:
    filters = dsl.filter_clauses(
        SearchFilters(
            category="Tools > Drills", brand=["Ryobi"], price=PriceRange(min=1, max=9), availability=["in_stock"]
        )
    )
    aggs = dsl.aggregations(list(Facet), "Tools")
    lexical, knn = dsl.lexical("drill", filters), dsl.knn(VECTOR, 10, filters)
    return [
        dsl.page(lexical, 0, 10, aggs),
        dsl.page(dsl.hybrid("drill", VECTOR, 50, filters), 0, 10, aggs),
        dsl.ranked_ids(knn, 50),
        dsl.by_ids(["a"]),
        dsl.by_ids(["a"], filters, VECTOR),
        dsl.facet_counts([lexical, knn], aggs),
    ]


def test_every_field_written_to_a_product_is_mapped() -> None:
    product = Product(
        id="p1",
        title="Drill",
        description="d",
        brand="Ryobi",
        category="Tools > Drills",
        attributes={"volts": "18"},
        price=99.0,
        currency="USD",
        availability="in_stock",
        image_url="https://example.invalid/p1.png",
        extra={"sku": "1"},
    )
    document = to_document(product, VECTOR)
    fields = _fields(PRODUCTS_MAPPING)
    assert {k for k in document if not _known(k, fields)} == set()
    assert all(_known(f"{name}.{key}", fields) for name in ("attributes", "extra") for key in document[name])


def test_every_field_the_api_queries_or_reads_is_mapped() -> None:
    fields = _fields(PRODUCTS_MAPPING)
    referenced = set().union(*(_referenced(body) for body in _every_body()))
    assert referenced >= {"title", "category_tree", "brand", "price", "availability", "vector", "id"}
    assert {f for f in referenced if not _known(f, fields)} == set()
    assert {f.split("^")[0] for f in LEXICAL_FIELDS} | set(HIT_FIELDS) <= fields


def test_every_user_field_written_or_queried_is_mapped() -> None:
    now = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    event = PurchaseEvent(user_id="u1", product_id="p1", timestamp=now)
    document = user_document("u1", [event], [event], {"region": "south"}, VECTOR, now)
    fields = _fields(USERS_MAPPING)
    assert {k for k in document if not _known(k, fields)} == set()
    assert {f"history.{k}" for k in document["history"][0]} <= fields
    assert {f for f in _referenced(dsl.users_page({"match_all": {}}, 5)) if not _known(f, fields)} == set()


def test_the_check_catches_a_field_the_mapping_lacks() -> None:
    body = dsl.page({"bool": {"filter": [{"term": {"colour": "red"}}]}}, 0, 10, {})
    assert {f for f in _referenced(body) if not _known(f, _fields(PRODUCTS_MAPPING))} == {"colour"}
