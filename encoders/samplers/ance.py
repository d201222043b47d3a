"""ANCE-style negatives: the products the model being trained currently ranks highest, but wrongly.

As in ANCE (Xiong et al., 2021), the product index is refreshed with the current model only every
`refresh_every` steps (re-encoding is the expensive part); queries are encoded fresh each batch. On
a large catalog the index holds a seeded sample of `pool_size` products, so a refresh costs seconds,
not minutes, on a CPU.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from encoders.samplers.base import NegativeSampler, TrainingExample
from kernel.product import Product

__all__ = ["AnceSampler"]

Encode = Callable[[Sequence[str]], npt.NDArray[np.float32]]


class AnceSampler(NegativeSampler):
    """Negatives mined with the current model from a periodically refreshed product index.

    Args:
        catalog: Products to mine from.
        render: The product text the encoder sees.
        encode: Texts → unit vectors with the model as it is now (the trainer supplies it).
        seed: Random seed (also picks the pool on large catalogs).
        refresh_every: Batches between re-encodings of the product index.
        pool_size: Most products kept in the index (0: the whole catalog).
        depth: How many top-scored products a negative is drawn from.
    """

    name = "ance"

    def __init__(
        self,
        catalog: Sequence[Product],
        render: Callable[[Product], str],
        encode: Encode,
        seed: int = 0,
        refresh_every: int = 200,
        pool_size: int = 10_000,
        depth: int = 30,
    ) -> None:
        super().__init__(seed)
        self.refresh_every, self.pool_size, self.depth = refresh_every, pool_size, depth
        products = list(catalog)
        if pool_size and len(products) > pool_size:
            products = random.Random(seed).sample(products, pool_size)
        self._pool = products
        self._render, self._encode = render, encode
        self._vectors: npt.NDArray[np.float32] | None = None
        self._batches_since_refresh = 0
        self.refreshes = 0

    def sample(self, examples: Sequence[TrainingExample], k: int) -> list[list[Product]]:
        """Up to `k` negatives per example from the current model's top `depth` non-relevant products."""
        if self._vectors is None or self._batches_since_refresh >= self.refresh_every:
            self._vectors = self._encode([self._render(p) for p in self._pool])
            self._batches_since_refresh = 0
            self.refreshes += 1
        self._batches_since_refresh += 1
        scores = self._encode([e.query for e in examples]) @ self._vectors.T
        depth = min(self.depth + 8, len(self._pool))
        out = []
        for example, row in zip(examples, scores, strict=True):
            excluded = example.relevant_ids | {example.positive.id}
            top = np.argpartition(-row, depth - 1)[:depth]
            ranked = [self._pool[int(i)] for i in top[np.argsort(-row[top])]]
            pool = [p for p in ranked if p.id not in excluded][: self.depth]
            out.append(self.rng.sample(pool, min(k, len(pool))))
        return out

    def get_config_dict(self) -> dict[str, Any]:
        """Settings for the model card."""
        return {
            **super().get_config_dict(),
            "refresh_every": self.refresh_every,
            "pool_size": len(self._pool),
            "depth": self.depth,
            "refreshes": self.refreshes,
        }
