"""What a learned ranker knows about one candidate of one search: cheap features, the same at training and serving.

A `Candidate` is what the first stage (BM25 and k-NN, fused) returns: its scores and ranks in each
list, the product fields read from doc values, and optionally a cross-encoder score. `features`
turns a search's candidates into one row each, in `FEATURES` order; a value that does not apply
(no number in the query, no purchase history) is NaN, which LightGBM treats as missing.
"""

from __future__ import annotations

import math
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

import numpy as np
import numpy.typing as npt

from kernel.normalize import normalize_text, numbers_in

__all__ = ["FEATURES", "Candidate", "Lexicon", "QueryContext", "Taste", "features", "tokens"]

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


def _words(normalized: str) -> list[str]:
    return [_SUFFIX.sub("", t) for t in _TOKEN.findall(normalized.lower())]


def tokens(text: str) -> list[str]:
    """Lower-cased word and number tokens of the normalized text, light suffixes stripped."""
    return _words(normalize_text(text))


@dataclass(frozen=True)
class _Text:
    tokens: tuple[str, ...]
    token_set: frozenset[str]
    bigrams: frozenset[tuple[str, str]]
    numbers: frozenset[str]


@lru_cache(maxsize=1 << 16)
def _read(text: str) -> _Text:
    # A product's title, brand and category come back search after search: read each once (normalizing
    # is most of the cost of a title not seen before: 14 unit rules over any text with a digit).
    normalized = normalize_text(text)
    found = tuple(_words(normalized))
    return _Text(
        found,
        frozenset(found),
        frozenset(zip(found, found[1:], strict=False)),
        frozenset(numbers_in(normalized, normalized=True)),
    )


def _one_edit_keys(token: str) -> frozenset[str]:
    """`token` and each spelling of it with one letter dropped (SymSpell's symmetric delete)."""
    return frozenset({token, *(token[:i] + token[i + 1 :] for i in range(len(token)))})


class Lexicon:
    """The catalog's words, indexed by their one-letter-dropped spellings, for near misses.

    Two words about one edit apart (insert, delete, substitute, swap) share such a spelling, so the
    words near a query word are found once per search, and a title's part in it is one set
    intersection: no title needs spellings of its own.
    """

    def __init__(self, words: Iterable[str]) -> None:
        index: dict[str, set[str]] = defaultdict(set)
        for word in words:
            if len(word) >= 3:
                for key in _one_edit_keys(word):
                    index[key].add(word)
        self._index = dict(index)

    def near(self, word: str) -> frozenset[str]:
        """The catalog's other words about one edit from `word`."""
        found: set[str] = set()
        for key in _one_edit_keys(word):
            found.update(self._index.get(key, ()))
        found.discard(word)
        return frozenset(found)


@dataclass(frozen=True)
class Taste:
    """A shopper's history as shares: brands, level-2 categories, and the median price paid."""

    brands: Mapping[str, float] = field(default_factory=dict)
    categories: Mapping[str, float] = field(default_factory=dict)
    median_price: float | None = None

    @classmethod
    def from_products(cls, products: Sequence[Mapping[str, object]]) -> Taste | None:
        """The taste of a history of products (their `brand`, `category_path`, `price`); None for none."""
        if not products:
            return None
        brands = Counter(str(p["brand"]) for p in products if p.get("brand"))
        categories = Counter(c for p in products if (c := _level2(str(p.get("category_path") or ""))))
        prices = sorted(float(str(p["price"])) for p in products if p.get("price") is not None)
        return cls(
            {b: n / len(products) for b, n in brands.items()},
            {c: n / len(products) for c, n in categories.items()},
            statistics.median(prices) if prices else None,
        )


@dataclass(frozen=True)
class QueryContext:
    """A search's text, the shopper's taste (None: anonymous or cold), and the catalog's token weights.

    `idf` maps a token to its inverse document frequency over the catalog's titles (written beside the
    ranker at training); a token it does not know weighs `rarest` (default: the largest in `idf`;
    pass it when `idf` is large, as finding it costs a pass over every weight). `lexicon` holds the
    words near misses are looked for among (default: the words of `idf`; pass one built once when
    `idf` is large).
    """

    text: str
    taste: Taste | None = None
    idf: Mapping[str, float] = field(default_factory=dict)
    rarest: float | None = None
    lexicon: Lexicon | None = None

    @cached_property
    def _normalized(self) -> str:
        return normalize_text(self.text)

    @property
    def token_list(self) -> list[str]:
        """The query's tokens, in order."""
        return _words(self._normalized)

    @property
    def numbers(self) -> set[str]:
        """The query's numbers."""
        return numbers_in(self._normalized, normalized=True)

    def weight(self, token: str) -> float:
        """How much a token tells apart (its IDF; unknown tokens weigh as the rarest known)."""
        found = self.idf.get(token)
        if found is not None:
            return found
        return self.rarest if self.rarest is not None else max(self.idf.values(), default=1.0)


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


@lru_cache(maxsize=1 << 14)
def _level2(path: str | None) -> str | None:
    parts = [p.strip() for p in (path or "").split(">") if p.strip()]
    return " > ".join(parts[:2]) if parts else None


def _column(values: Sequence[float | None], missing: float) -> npt.NDArray[np.float64]:
    return np.array([missing if v is None else v for v in values], dtype=np.float64)


def features(query: QueryContext, candidates: Sequence[Candidate]) -> npt.NDArray[np.float64]:
    """One row of `FEATURES` per candidate."""
    nan, n = math.nan, len(candidates)
    query_list, query_numbers, taste = query.token_list, query.numbers, query.taste
    query_set = set(query_list)
    query_tokens = sorted(query_set)
    size = len(query_tokens)
    # The API's budget is per search and 50 candidates come through here: each feature is one column,
    # made by a comprehension over the candidates (or over the few query tokens) and numpy, not a
    # Python row per candidate.
    titles = [_read(c.title) for c in candidates]
    title_sets = [t.token_set for t in titles]
    # has[j, i]: query token j is in title i.
    has = np.array([[t in s for s in title_sets] for t in query_tokens], dtype=bool).reshape(size, n)
    matched = has.sum(axis=0)
    weights = np.array([query.weight(t) for t in query_tokens])
    # A near miss: a query token of 4+ letters that the title lacks but has a catalog word one edit from.
    lexicon = query.lexicon if query.lexicon is not None else Lexicon(query.idf)
    near = np.zeros(n)
    for j, t in enumerate(query_tokens):
        if len(t) >= 4 and (words := lexicon.near(t)):
            near += ~has[j] & np.array([not words.isdisjoint(s) for s in title_sets], dtype=bool)
    bigrams = set(zip(query_list, query_list[1:], strict=False))
    numbers = [len(query_numbers & t.numbers) for t in titles]
    brands = [_read(c.brand).token_set if c.brand else None for c in candidates]
    categories = [_read(c.category_path).token_set if c.category_path else None for c in candidates]
    without = np.full(n, nan)
    prices = _column([c.price for c in candidates], nan)
    columns = {
        "lexical_score": _column([c.lexical_score for c in candidates], 0.0),
        "lexical_reciprocal_rank": 1.0 / _column([c.lexical_rank or None for c in candidates], np.inf),
        "semantic_score": _column([c.semantic_score for c in candidates], 0.0),
        "semantic_reciprocal_rank": 1.0 / _column([c.semantic_rank or None for c in candidates], np.inf),
        "fused_score": _column([c.fused_score for c in candidates], 0.0),
        "personal_delta": _column([c.personal_delta for c in candidates], nan),
        "cross_encoder_score": _column([c.cross_encoder_score for c in candidates], nan),
        "term_coverage": matched / size if size else without,
        "idf_coverage": weights @ has / weights.sum() if size else without,
        # The last word of a product query is usually what the thing is ("cordless drill").
        "head_term_in_title": (
            np.array([query_list[-1] in s for s in title_sets], dtype=np.float64) if query_list else without
        ),
        "bigram_coverage": (
            np.array([len(bigrams & t.bigrams) for t in titles]) / len(bigrams) if bigrams else without
        ),
        "near_miss_coverage": near / size if size else without,
        "title_term_share": matched / np.maximum([len(s) for s in title_sets], 1),
        "number_match": np.array(numbers) / len(query_numbers) if query_numbers else without,
        "number_missing": np.array([not m for m in numbers], dtype=np.float64) if query_numbers else without,
        "brand_in_query": np.array([b is not None and bool(b) and b <= query_set for b in brands], dtype=np.float64),
        "category_term_coverage": (
            _column([len(query_set & c) / size if c else None for c in categories], nan) if size else without
        ),
        "title_tokens": np.array([len(t.tokens) for t in titles], dtype=np.float64),
        "query_tokens": np.full(n, float(size)),
        "log_price": np.log1p(prices),
        "in_stock": _column([c.availability == "in_stock" if c.availability else None for c in candidates], nan),
        "log_popularity": np.log1p(_column([c.popularity for c in candidates], nan)),
        "brand_affinity": _column([taste.brands.get(c.brand or "", 0.0) for c in candidates], 0.0)
        if taste
        else without,
        "category_affinity": (
            _column([taste.categories.get(_level2(c.category_path) or "", 0.0) for c in candidates], 0.0)
            if taste
            else without
        ),
        "price_distance": (
            np.where(prices > 0, np.abs(np.log1p(prices) - math.log1p(taste.median_price)), nan)
            if taste and taste.median_price
            else without
        ),
    }
    return np.column_stack([columns[name] for name in FEATURES]) if n else np.zeros((0, len(FEATURES)))
