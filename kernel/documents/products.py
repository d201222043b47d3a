"""A product and its vector as the document OpenSearch stores."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import numpy as np
import numpy.typing as npt

from kernel.product import Product

__all__ = ["CATEGORY_TREE_SEPARATOR", "commerce_fields", "commerce_hash", "content_hash", "to_document"]

# The path_hierarchy tokenizer splits on one character; category names never contain ">".
CATEGORY_TREE_SEPARATOR = ">"
_COMMERCE_FIELDS = {"price", "currency", "availability"}


def content_hash(product: Product) -> str:
    """A digest of everything the vector and the text fields depend on (not price or stock)."""
    fields = product.model_dump(mode="json", exclude=_COMMERCE_FIELDS)
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:32]


def commerce_hash(product: Product) -> str:
    """A digest of price, currency and availability: what a partial update may change."""
    fields = product.model_dump(mode="json", include=_COMMERCE_FIELDS)
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:32]


def commerce_fields(product: Product) -> dict[str, Any]:
    """Price, currency, availability and their hash: the body of a partial update."""
    return {
        "price": product.price,
        "currency": product.currency,
        "availability": product.availability.value if product.availability else None,
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
        "category_tree": CATEGORY_TREE_SEPARATOR.join(product.category) or None,
        "attributes": product.attributes or None,
        "extra": product.extra or None,
        "image_url": product.image_url,
        "content_hash": content_hash(product),
        **commerce_fields(product),
        # Six decimals keep cosines exact to ~1e-6 and cut the JSON each vector costs by half. The array
        # stays an array (orjson writes it as a list): a 4,096-product batch holds 12 MiB, not 50.
        "vector": np.round(vector.astype(np.float64), 6),
    }
