"""Shoppers the demo page offers: some frequent and some occasional ones, each with what they buy most."""

from __future__ import annotations

from collections import Counter
from typing import Any

from pydantic import BaseModel, Field

from kernel.documents.products import category_label
from kernel.errors import EngineNotFoundError
from query_api.search import SearchBackend, dsl

__all__ = ["Shopper", "list_shoppers"]

# Two levels name a shopper's taste ("Furniture > Benches") without the noise of the leaf.
_TASTE_DEPTH = 2


class Shopper(BaseModel):
    """A shopper from the users index, described for a person choosing whom to search as."""

    user_id: str
    purchases: int
    favourite_category: str | None = Field(description="The category most of their recent purchases are in.")
    label: str


def list_shoppers(backend: SearchBackend, users_index: str, products: str, count: int) -> list[Shopper]:
    """Up to `count` shoppers: two thirds the most frequent, one third with only a few purchases.

    An absent users index gives no shoppers (the page then offers only anonymous search).
    """
    frequent = count - count // 3
    try:
        rows = _users(backend, users_index, {"match_all": {}}, frequent)
        rows += _users(backend, users_index, {"range": {"purchases": {"gte": 1, "lte": 4}}}, count - frequent)
    except EngineNotFoundError:
        return []
    bought = sorted({pid for row in rows for pid in row["products"]})
    categories = _categories(backend, products, bought)
    shoppers = []
    for row in {r["user_id"]: r for r in rows}.values():
        tastes = Counter(categories[p] for p in row["products"] if categories.get(p))
        favourite = tastes.most_common(1)[0][0] if tastes else None
        label = f"{row['user_id']} · {row['purchases']} purchase{'s' if row['purchases'] != 1 else ''}"
        shoppers.append(
            Shopper(
                user_id=row["user_id"],
                purchases=row["purchases"],
                favourite_category=favourite,
                label=label + (f" · mostly {favourite}" if favourite else ""),
            )
        )
    return shoppers


def _users(backend: SearchBackend, index: str, query: dict[str, Any], size: int) -> list[dict[str, Any]]:
    if size <= 0:
        return []
    return [
        {
            "user_id": h.source["user_id"],
            "purchases": int(h.source.get("purchases") or 0),
            "products": [e["product_id"] for e in h.source.get("history", [])[:20]],
        }
        for h in backend.search(index, dsl.users_page(query, size)).hits
    ]


def _categories(backend: SearchBackend, products: str, ids: list[str]) -> dict[str, str]:
    if not ids:
        return {}
    found = {}
    for hit in backend.search(products, dsl.by_ids(ids)).hits:
        path = hit.source.get("category_path")
        if path:
            found[hit.id] = category_label(path, _TASTE_DEPTH)
    return found
