"""The diversity guard: at most N hits of one brand on the first page, unless the shopper asked for a brand.

A one-word query ("bench") matches thousands of titles with near-equal scores, and the page can fill
with one brand's near-duplicates. The guard walks the ranked ids and defers a hit whose brand already
has `most` hits in the first `window` places; the deferred ones follow the first page in their own
order, so nothing is dropped and page 2 still never repeats page 1.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from encoders.ranking import tokens

__all__ = ["names_a_brand", "spread_brands"]


def names_a_brand(query: str, brands: Sequence[str | None]) -> bool:
    """Whether every word of one of `brands` is in the query (then the shopper wants that brand's products)."""
    words = set(tokens(query))
    return any(brand and set(tokens(brand)) <= words for brand in brands)


def spread_brands(order: Sequence[str], brand_of: Mapping[str, str | None], window: int, most: int) -> list[str]:
    """`order` with at most `most` ids of one brand among its first `window` (ids without a brand never count)."""
    seen: Counter[str] = Counter()
    page: list[str] = []
    deferred: list[str] = []
    for position, item in enumerate(order):
        if len(page) >= window:
            return page + deferred + list(order[position:])
        brand = brand_of.get(item)
        if brand and seen[brand] >= most:
            deferred.append(item)
            continue
        if brand:
            seen[brand] += 1
        page.append(item)
    # Too few other brands to fill the window: the deferred ids fill it, in their order.
    return page + deferred
