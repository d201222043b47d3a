"""BM25-mined negatives: products that share the query's words but were not judged relevant.

Lexical look-alikes are what a keyword engine already confuses ("bench" for a vanity bench when an
outdoor bench was bought). Mining is lazy and cached per query: only the queries that training
reaches are scored, with bm25s over the rendered product texts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from encoders.samplers.base import NegativeSampler, TrainingExample
from kernel.product import Product

__all__ = ["BM25Sampler"]


class BM25Sampler(NegativeSampler):
    """Negatives drawn from a query's top BM25 results, minus the products judged relevant.

    Args:
        catalog: Products to mine from.
        render: The product text BM25 indexes (the same text the encoder sees).
        seed: Random seed.
        depth: How many top BM25 results a negative is drawn from.

    Example:
        >>> from kernel.product import Product
        >>> catalog = [Product(id="a", title="Outdoor bench"), Product(id="b", title="Vanity bench"),
        ...            Product(id="c", title="Cordless drill")]
        >>> s = BM25Sampler(catalog, lambda p: p.title, seed=0)
        >>> [p.id for p in s.sample([TrainingExample("bench", catalog[0])], k=2)[0]]
        ['b']
    """

    name = "bm25"

    def __init__(
        self, catalog: Sequence[Product], render: Callable[[Product], str], seed: int = 0, depth: int = 30
    ) -> None:
        import bm25s

        super().__init__(seed)
        self.depth = depth
        self._catalog = list(catalog)
        self._retriever = bm25s.BM25()
        corpus = bm25s.tokenize([render(p) for p in self._catalog], stopwords="en", show_progress=False)
        self._retriever.index(corpus, show_progress=False)
        self._mined: dict[str, list[Product]] = {}

    def sample(self, examples: Sequence[TrainingExample], k: int) -> list[list[Product]]:
        """Up to `k` negatives per example from its query's top `depth` BM25 results."""
        self._mine([e.query for e in examples])
        out = []
        for example in examples:
            excluded = example.relevant_ids | {example.positive.id}
            pool = [p for p in self._mined[example.query] if p.id not in excluded]
            out.append(self.rng.sample(pool, min(k, len(pool))))
        return out

    def _mine(self, queries: Sequence[str]) -> None:
        import bm25s

        new = sorted({q for q in queries if q not in self._mined})
        if not new:
            return
        depth = min(self.depth, len(self._catalog))
        tokens = bm25s.tokenize(new, stopwords="en", show_progress=False)
        indices, scores = self._retriever.retrieve(tokens, k=depth, show_progress=False)
        for query, row, row_scores in zip(new, indices, scores, strict=True):
            # Zero-score rows are padding, not matches: they would be random negatives in disguise.
            self._mined[query] = [self._catalog[int(i)] for i, s in zip(row, row_scores, strict=True) if s > 0]

    def get_config_dict(self) -> dict[str, Any]:
        """Settings for the model card."""
        return {**super().get_config_dict(), "depth": self.depth, "catalog_size": len(self._catalog)}
