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
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from kernel.data.splits import query_key
from kernel.normalize import normalize_text, numbers_in

if TYPE_CHECKING:
    from encoders.ranking.query_log import QueryLog

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
    "log_match",
    "log_grade",
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


# Queries have a cache of their own, so that a stream of new queries never pushes the catalog's titles out.
_read_query = lru_cache(maxsize=1 << 12)(_read.__wrapped__)


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
        # Query words repeat from search to search (head queries most): look each up once.
        self._cached_near = lru_cache(maxsize=1 << 14)(self._near)

    def near(self, word: str) -> frozenset[str]:
        """The catalog's other words about one edit from `word`."""
        return self._cached_near(word)

    def _near(self, word: str) -> frozenset[str]:
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
    `idf` is large). `log` holds the past searches that found each product relevant (None: no log);
    `held_out` is a past search's text the log features ignore (at training, the search itself, so
    that it does not find its own labels).
    """

    text: str
    taste: Taste | None = None
    idf: Mapping[str, float] = field(default_factory=dict)
    rarest: float | None = None
    lexicon: Lexicon | None = None
    log: QueryLog | None = None
    held_out: str | None = None

    @property
    def token_list(self) -> list[str]:
        """The query's tokens, in order."""
        return list(_read_query(self.text).tokens)

    @property
    def numbers(self) -> set[str]:
        """The query's numbers."""
        return set(_read_query(self.text).numbers)

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


@dataclass(frozen=True)
class _Product:
    """What the features read of a product whatever the search: its text read once, its own columns."""

    token_set: frozenset[str]
    bigrams: frozenset[tuple[str, str]]
    numbers: frozenset[str]
    brand: frozenset[str] | None
    category: frozenset[str] | None
    level2: str | None
    # log_price, in_stock, log_popularity, title_tokens, title_distinct_tokens
    columns: tuple[float, float, float, float, float]


@lru_cache(maxsize=1 << 16)
def _product(
    title: str,
    brand: str | None,
    category_path: str | None,
    price: float | None,
    availability: str | None,
    popularity: float | None,
) -> _Product:
    # Candidates come back search after search: what does not depend on the query is made once.
    text = _read(title)
    return _Product(
        text.token_set,
        text.bigrams,
        text.numbers,
        _read(brand).token_set if brand else None,
        _read(category_path).token_set if category_path else None,
        _level2(category_path),
        (
            math.nan if price is None else math.log1p(price),
            (1.0 if availability == "in_stock" else 0.0) if availability else math.nan,
            math.nan if popularity is None else math.log1p(popularity),
            float(len(text.tokens)),
            float(max(len(text.token_set), 1)),
        ),
    )


_COLUMN = {name: i for i, name in enumerate(FEATURES)}
# The product's own columns, in `_Product.columns` order (the distinct-token count is the share's divisor).
_OWN = [_COLUMN[name] for name in ("log_price", "in_stock", "log_popularity", "title_tokens", "title_term_share")]


def features(query: QueryContext, candidates: Sequence[Candidate]) -> npt.NDArray[np.float64]:
    """One row of `FEATURES` per candidate."""
    nan, n = math.nan, len(candidates)
    if not n:
        return np.full((0, len(FEATURES)), nan)
    # The API's budget is per search and 50 candidates come through here: each feature is one pass over
    # them into its own contiguous column (what is the product's own is made once per product), and the
    # columns are turned into rows once at the end.
    cols = np.full((len(FEATURES), n), nan)
    col = _COLUMN
    query_list, query_numbers, taste = query.token_list, query.numbers, query.taste
    query_set = set(query_list)
    query_tokens = sorted(query_set)
    size = len(query_tokens)
    products = [_product(c.title, c.brand, c.category_path, c.price, c.availability, c.popularity) for c in candidates]
    cols[col["lexical_score"]] = [c.lexical_score or 0.0 for c in candidates]
    cols[col["lexical_reciprocal_rank"]] = [1.0 / r if (r := c.lexical_rank) else 0.0 for c in candidates]
    cols[col["semantic_score"]] = [c.semantic_score or 0.0 for c in candidates]
    cols[col["semantic_reciprocal_rank"]] = [1.0 / r if (r := c.semantic_rank) else 0.0 for c in candidates]
    cols[col["fused_score"]] = [c.fused_score for c in candidates]
    cols[col["personal_delta"]] = [c.personal_delta for c in candidates]  # None is NaN
    cols[col["cross_encoder_score"]] = [c.cross_encoder_score for c in candidates]
    cols[_OWN] = list(zip(*(p.columns for p in products), strict=True))
    if query_list:
        head = query_list[-1]
        cols[col["head_term_in_title"]] = [head in p.token_set for p in products]
    if bigrams := set(zip(query_list, query_list[1:], strict=False)):
        share = 1.0 / len(bigrams)
        cols[col["bigram_coverage"]] = [len(bigrams & p.bigrams) * share for p in products]
    cols[col["brand_in_query"]] = [bool(p.brand and p.brand <= query_set) for p in products]
    if size:
        title_sets = [p.token_set for p in products]
        # has[j, i]: query token j is in title i.
        has = np.array([[tok in ts for ts in title_sets] for tok in query_tokens], dtype=bool)
        matched = has.sum(axis=0)
        weights = np.array([query.weight(tok) for tok in query_tokens])
        # A near miss: a query token of 4+ letters that the title lacks but has a catalog word one edit from.
        lexicon = query.lexicon if query.lexicon is not None else Lexicon(query.idf)
        near = np.zeros(n)
        for j, tok in enumerate(query_tokens):
            if len(tok) >= 4 and (words := lexicon.near(tok)):
                near += ~has[j] & np.array([not words.isdisjoint(ts) for ts in title_sets], dtype=bool)
        cols[col["term_coverage"]] = matched / size
        cols[col["idf_coverage"]] = weights @ has / weights.sum()
        cols[col["near_miss_coverage"]] = near / size
        cols[col["query_tokens"]] = size
        cols[col["title_term_share"]] = matched / cols[col["title_term_share"]]
        cols[col["category_term_coverage"]] = [
            len(query_set & p.category) / size if p.category else nan for p in products
        ]
    else:
        cols[col["query_tokens"]] = 0.0
        cols[col["title_term_share"]] = 0.0
    if query_numbers:
        matches = np.array([len(query_numbers & p.numbers) for p in products], dtype=np.float64)
        cols[col["number_missing"]] = matches == 0
        cols[col["number_match"]] = matches / len(query_numbers)
    if taste:
        cols[col["brand_affinity"]] = [taste.brands.get(c.brand or "", 0.0) for c in candidates]
        cols[col["category_affinity"]] = [taste.categories.get(p.level2 or "", 0.0) for p in products]
        if taste.median_price:
            # The distance in log price from what the shopper usually pays.
            log_prices = cols[col["log_price"]]
            cols[col["price_distance"]] = np.where(
                log_prices > 0, np.abs(log_prices - math.log1p(taste.median_price)), nan
            )
    if query.log is not None:
        _log_matches(query.log, query, query_set, candidates, cols)
    return np.ascontiguousarray(cols.T)


def _log_matches(
    log: QueryLog,
    query: QueryContext,
    query_set: set[str],
    candidates: Sequence[Candidate],
    cols: npt.NDArray[np.float64],
) -> None:
    """Per candidate: how close the search is to the nearest past search that found it relevant, and its grade.

    Closeness is the IDF-weighted Jaccard similarity of their tokens; (0, 0) when no past search did.
    """
    held_out = query_key(query.held_out) if query.held_out else None
    weights = {token: query.weight(token) for token in query_set}
    query_weight = sum(weights.values())
    match, grade = cols[_COLUMN["log_match"]], cols[_COLUMN["log_grade"]]
    match[:], grade[:] = 0.0, 0.0
    for i, c in enumerate(candidates):
        best, best_grade = 0.0, 0.0
        for past in log.found(c.id):
            shared_tokens = past.tokens & query_set
            if not shared_tokens or past.key == held_out:
                continue
            shared = sum(weights[t] for t in shared_tokens)
            similarity = shared / (query_weight + past.weight - shared)
            if similarity > best or (similarity == best and past.grade > best_grade):
                best, best_grade = similarity, past.grade
        if best:
            match[i], grade[i] = best, best_grade
