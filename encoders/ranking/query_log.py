"""What past searches found each product: the training searches' labelled products, saved beside the ranker.

A retailer's strongest ranking signal is what shoppers who searched something similar bought or
clicked. The log holds the training split's searches with the products labelled relevant for them
(Home Depot's graded judgments; in a search log, purchased 2 > clicked 1) and is indexed by product,
so the `log_match` feature asks of each candidate: how close is this search to a past search that
found this product relevant, and how relevant was it there. Only the training split goes in: dev and
test searches are never in the log, and at training each search's own entry is left out so the
ranker learns from what a new search would see.
"""

from __future__ import annotations

import gzip
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import NamedTuple

from encoders.ranking.features import tokens
from kernel.data.splits import query_key

__all__ = ["QUERY_LOG_FILE", "LoggedSearch", "QueryLog"]

QUERY_LOG_FILE = "query_log.json.gz"


class LoggedSearch(NamedTuple):
    """One past search as the feature reads it: its key, its tokens and their total weight, the grade it gave."""

    key: str
    tokens: frozenset[str]
    weight: float
    grade: int


class QueryLog:
    """Past searches and the products they found relevant, looked up by product id.

    Args:
        searches: (search text, {product id: grade}) pairs; grades of 0 or less are not kept.
        idf: The ranker's token weights (a token it does not know weighs as its rarest), which the
            searches' similarity reads: each past search's total is summed once, here.
    """

    def __init__(self, searches: Iterable[tuple[str, Mapping[str, int]]], idf: Mapping[str, float]) -> None:
        self._searches = [(text, {p: int(g) for p, g in grades.items() if g > 0}) for text, grades in searches]
        rarest = max(idf.values(), default=1.0)
        by_product: dict[str, list[LoggedSearch]] = defaultdict(list)
        for text, grades in self._searches:
            found = frozenset(tokens(text))
            past = (query_key(text), found, sum(idf.get(t, rarest) for t in found))
            for product, grade in grades.items():
                by_product[product].append(LoggedSearch(*past, grade))
        self._by_product = {p: tuple(s) for p, s in by_product.items()}

    def __len__(self) -> int:
        return len(self._searches)

    @property
    def products(self) -> int:
        """How many products some past search found relevant."""
        return len(self._by_product)

    def found(self, product_id: str) -> tuple[LoggedSearch, ...]:
        """The past searches that found this product relevant (none: an empty tuple)."""
        return self._by_product.get(product_id, ())

    def save(self, folder: Path) -> None:
        """Write `query_log.json.gz` into `folder`."""
        payload = [{"q": text, "found": grades} for text, grades in self._searches if grades]
        with gzip.open(folder / QUERY_LOG_FILE, "wt", encoding="utf-8") as out:
            json.dump(payload, out)

    @classmethod
    def load(cls, folder: Path, idf: Mapping[str, float]) -> QueryLog | None:
        """The log saved in `folder`, weighed by `idf` (None: the ranker was trained without one)."""
        path = folder / QUERY_LOG_FILE
        if not path.is_file():
            return None
        with gzip.open(path, "rt", encoding="utf-8") as rows:
            return cls(((row["q"], row["found"]) for row in json.load(rows)), idf)
