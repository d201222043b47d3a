"""The product document: what aisle writes into a products index (mapping `products.v1`) and reads back.

The field names, the category key, the lexical fields searched and the doc-value fields a hit is
read from live here, next to the mapping they must agree with (a unit test holds every field written
or queried against `products.v1.json`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from kernel.product import CATEGORY_SEPARATOR, Product, parse_category_path

__all__ = [
    "CATEGORY_TREE_SEPARATOR",
    "HIT_FIELDS",
    "LEXICAL_FIELDS",
    "POPULARITY_WEIGHT",
    "PRODUCTS_MAPPING",
    "category_key",
    "category_label",
    "commerce_fields",
    "commerce_hash",
    "content_hash",
    "hit_product",
    "to_document",
]

PRODUCTS_MAPPING = "products.v1"
# The path_hierarchy tokenizer of `category_tree` splits on one character; category names never contain ">".
CATEGORY_TREE_SEPARATOR = ">"
# What changes without the product's text changing: a partial update, no new vector.
_COMMERCE_FIELDS = {"price", "currency", "availability", "popularity"}
# BM25 searches these, with their boosts.
LEXICAL_FIELDS = ["title^3", "title.plain^1.5", "brand.text^2", "description"]
# A hit is read from doc values (field → the product attribute it holds); stored fields (`_source`,
# `_id`) are never read. A hybrid query on one shard fetches all `pagination_depth` candidates before
# normalization trims the page: rebuilding each candidate's source (the vector is derived from the k-NN
# segment files) cost 3x the query itself, and reading just `_id` from the compressed stored fields
# still cost 1 ms per 50 candidates, more than the BM25 sub-query (measured on Home Depot, 2026-11-21).
HIT_FIELDS = {
    "id": "id",
    "title.exact": "title",
    "brand": "brand",
    "category_path": "category_path",
    "price": "price",
    "currency": "currency",
    "availability": "availability",
    "popularity": "popularity",
    "image_url": "image_url",
}
# How much popularity adds to a BM25 score: weight x log10(1 + units sold), so 0.01 at 9 units and 0.05
# at 100,000. Ties are common: in the BM25 top 50 of 300 Home Depot dev queries, 7,005 of 14,214
# neighbouring scores are exactly equal, and the median gap between unequal ones is 0.135; this orders
# the equal and the nearly equal and leaves the rest alone.
POPULARITY_WEIGHT = 0.01


def category_key(path: str | Sequence[str]) -> str:
    """A category path as `category_tree` stores it: `Tools > Power Tools` (or its parts) → `Tools>Power Tools`."""
    parts = parse_category_path(list(path) if not isinstance(path, str) else path)
    return CATEGORY_TREE_SEPARATOR.join(parts)


def category_label(key: str, depth: int | None = None) -> str:
    """A stored category key (or `category_path`) as people read it, cut to its first `depth` levels."""
    return CATEGORY_SEPARATOR.join(parse_category_path(key)[:depth])


def hit_product(fields: dict[str, list[Any]]) -> dict[str, Any]:
    """A hit's doc-value `fields` (fetched as `HIT_FIELDS`) as product attributes (`title`, `brand`, ...)."""
    return {name: fields[field][0] for field, name in HIT_FIELDS.items() if fields.get(field)}


def content_hash(product: Product) -> str:
    """A digest of everything the vector and the text fields depend on (not price or stock)."""
    fields = product.model_dump(mode="json", exclude=_COMMERCE_FIELDS)
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:32]


def commerce_hash(product: Product) -> str:
    """A digest of price, currency, availability and popularity: what a partial update may change."""
    fields = product.model_dump(mode="json", include=_COMMERCE_FIELDS)
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:32]


def commerce_fields(product: Product) -> dict[str, Any]:
    """Price, currency, availability, popularity and their hash: the body of a partial update."""
    return {
        "price": product.price,
        "currency": product.currency,
        "availability": product.availability.value if product.availability else None,
        "popularity": product.popularity,
        "commerce_hash": commerce_hash(product),
    }


def to_document(product: Product, vector: npt.NDArray[np.float32]) -> dict[str, Any]:
    """The `_source` stored for a product."""
    return {
        "id": product.id,
        "title": product.title,
        "description": product.description,
        "brand": product.brand,
        "category_path": product.category_path or None,
        "category_leaf": product.category[-1] if product.category else None,
        "category_tree": category_key(product.category) or None,
        "attributes": product.attributes or None,
        "extra": product.extra or None,
        "image_url": product.image_url,
        "content_hash": content_hash(product),
        **commerce_fields(product),
        # Six decimals keep cosines exact to ~1e-6 and cut the JSON each vector costs by half. The array
        # stays an array (orjson writes it as a list): a 4,096-product batch holds 12 MiB, not 50.
        "vector": np.round(vector.astype(np.float64), 6),
    }
