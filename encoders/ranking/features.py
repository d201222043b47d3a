"""What a learned ranker knows about one candidate of one search: cheap features, the same at training and serving.

A `Candidate` is what the first stage (BM25 and k-NN, fused) returns: its scores and ranks in each
list, the product fields read from doc values, and optionally a cross-encoder score. `features`
turns a search's candidates into one row each, in `FEATURES` order; a value that does not apply
(no number in the query, no purchase history) is NaN, which LightGBM treats as missing.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from kernel.normalize import normalize_text, numbers_in

__all__ = ["FEATURES", "Candidate", "QueryContext", "Taste", "features", "tokens"]

FEATURES = [
    "lexical_score",
    "lexical_reciprocal_rank",
    "semantic_score",
    "semantic_reciprocal_rank",
    "fused_score",
    "personal_delta",
    "cross_encoder_score",
    "term_coverage",
    "idf_coverage",
    "head_term_in_title",
    "bigram_coverage",
    "near_miss_coverage",
    "title_term_share",
    "number_match",
    "number_missing",
    "brand_in_query",
    "category_term_coverage",
    "title_tokens",
    "query_tokens",
    "log_price",
    "in_stock",
    "log_popularity",
    "brand_affinity",
    "category_affinity",
    "price_distance",
]

_TOKEN = re.compile(r"[a-z0-9]+(?:[./][0-9]+)?")
# Plural and verb endings, so that "drills" meets "drill" without a stemmer's cost at query time.
_SUFFIX = re.compile(r"(?<=[a-z]{3})(?:es|s|ed|ing)$")


def tokens(text: str) -> list[str]:
    """Lower-cased word and number tokens of the normalized text, light suffixes stripped."""
    return [_SUFFIX.sub("", t) for t in _TOKEN.findall(normalize_text(text).lower())]


@dataclass(frozen=True)
class Taste:
    """A shopper's history as shares: brands, level-2 categories, and the median price paid."""

    brands: Mapping[str, float] = field(default_factory=dict)
    categories: Mapping[str, float] = field(default_factory=dict)
    median_price: float | None = None


@dataclass(frozen=True)
class QueryContext:
    """A search's text, the shopper's taste (None: anonymous or cold), and the catalog's token weights.

    `idf` maps a token to its inverse document frequency over the catalog's titles (written beside the
    ranker at training); a token it does not know counts as rare.
    """

    text: str
    taste: Taste | None = None
    idf: Mapping[str, float] = field(default_factory=dict)

    @property
    def token_list(self) -> list[str]:
        """The query's tokens, in order."""
        return tokens(self.text)

    @property
    def numbers(self) -> set[str]:
        """The query's numbers."""
        return numbers_in(self.text)

    def weight(self, token: str) -> float:
        """How much a token tells apart (its IDF; unknown tokens weigh as the rarest known)."""
        return self.idf.get(token, max(self.idf.values(), default=1.0))


def _near(token: str, others: set[str]) -> bool:
    """Whether a token of `others` is one edit (insert, delete, substitute, swap) from `token` (4+ letters)."""
    if len(token) < 4:
        return False
    for other in others:
        if abs(len(other) - len(token)) > 1 or other[0] != token[0]:
            continue
        if len(other) == len(token):
            diff = [i for i, (a, b) in enumerate(zip(token, other, strict=True)) if a != b]
            if len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1 and token[diff[0]] == other[diff[1]]):
                return True
        else:
            short, long = sorted((token, other), key=len)
            if any(long[:i] + long[i + 1 :] == short for i in range(len(long))):
                return True
    return False


@dataclass(frozen=True)
class Candidate:
    """One product the first stage found for a search, with what it knows of it."""

    id: str
    title: str
    brand: str | None = None
    category_path: str | None = None
    price: float | None = None
    availability: str | None = None
    lexical_score: float | None = None
    lexical_rank: int | None = None
    semantic_score: float | None = None
    semantic_rank: int | None = None
    fused_score: float = 0.0
    personal_delta: float | None = None
    cross_encoder_score: float | None = None
    popularity: float | None = None


def _level2(path: str | None) -> str | None:
    parts = [p.strip() for p in (path or "").split(">") if p.strip()]
    return " > ".join(parts[:2]) if parts else None


def features(query: QueryContext, candidates: Sequence[Candidate]) -> npt.NDArray[np.float64]:
    """One row of `FEATURES` per candidate."""
    nan = math.nan
    query_list, query_numbers, taste = query.token_list, query.numbers, query.taste
    query_tokens = set(query_list)
    weights = {t: query.weight(t) for t in query_tokens}
    total_weight = sum(weights.values())
    bigrams = set(zip(query_list, query_list[1:], strict=False))
    rows = np.full((len(candidates), len(FEATURES)), nan)
    for i, c in enumerate(candidates):
        title_tokens = tokens(c.title)
        title_set = set(title_tokens)
        title_numbers = numbers_in(c.title) if query_numbers else set()
        brand_tokens = set(tokens(c.brand)) if c.brand else set()
        category_tokens = set(tokens(c.category_path)) if c.category_path else set()
        common = query_tokens & title_set
        missing = query_tokens - title_set
        values = {
            "lexical_score": c.lexical_score if c.lexical_score is not None else 0.0,
            "lexical_reciprocal_rank": 1.0 / c.lexical_rank if c.lexical_rank else 0.0,
            "semantic_score": c.semantic_score if c.semantic_score is not None else 0.0,
            "semantic_reciprocal_rank": 1.0 / c.semantic_rank if c.semantic_rank else 0.0,
            "fused_score": c.fused_score,
            "personal_delta": c.personal_delta if c.personal_delta is not None else nan,
            "cross_encoder_score": c.cross_encoder_score if c.cross_encoder_score is not None else nan,
            "term_coverage": len(common) / len(query_tokens) if query_tokens else nan,
            "idf_coverage": sum(weights[t] for t in common) / total_weight if total_weight else nan,
            # The last word of a product query is usually what the thing is ("cordless drill").
            "head_term_in_title": float(query_list[-1] in title_set) if query_list else nan,
            "bigram_coverage": (
                len(bigrams & set(zip(title_tokens, title_tokens[1:], strict=False))) / len(bigrams) if bigrams else nan
            ),
            "near_miss_coverage": (
                sum(_near(t, title_set) for t in missing) / len(query_tokens) if query_tokens else nan
            ),
            "title_term_share": len(common) / len(title_set) if title_set else 0.0,
            "number_match": len(query_numbers & title_numbers) / len(query_numbers) if query_numbers else nan,
            "number_missing": float(not (query_numbers & title_numbers)) if query_numbers else nan,
            "brand_in_query": float(bool(brand_tokens) and brand_tokens <= query_tokens),
            "category_term_coverage": (
                len(query_tokens & category_tokens) / len(query_tokens) if category_tokens and query_tokens else nan
            ),
            "title_tokens": len(title_tokens),
            "query_tokens": len(query_tokens),
            "log_price": math.log1p(c.price) if c.price is not None else nan,
            "in_stock": float(c.availability == "in_stock") if c.availability else nan,
            "log_popularity": math.log1p(c.popularity) if c.popularity is not None else nan,
        }
        if taste is not None:
            values["brand_affinity"] = taste.brands.get(c.brand or "", 0.0)
            values["category_affinity"] = taste.categories.get(_level2(c.category_path) or "", 0.0)
            if taste.median_price and c.price:
                values["price_distance"] = abs(math.log1p(c.price) - math.log1p(taste.median_price))
        rows[i] = [values.get(name, nan) for name in FEATURES]
    return rows
