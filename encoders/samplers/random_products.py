"""Random catalog products as negatives: the easy baseline."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from encoders.samplers.base import NegativeSampler, TrainingExample
from kernel.product import Product

__all__ = ["RandomSampler"]


class RandomSampler(NegativeSampler):
    """Uniformly random products, minus the example's relevant ones.

    Args:
        catalog: Products to draw from.
        seed: Random seed.

    Example:
        >>> from kernel.product import Product
        >>> catalog = [Product(id=str(i), title=f"P{i}") for i in range(5)]
        >>> s = RandomSampler(catalog, seed=1)
        >>> [len(n) for n in s.sample([TrainingExample("p", catalog[0], frozenset({"0"}))], k=2)]
        [2]
    """

    name = "random"

    def __init__(self, catalog: Sequence[Product], seed: int = 0) -> None:
        super().__init__(seed)
        self._catalog = list(catalog)

    def sample(self, examples: Sequence[TrainingExample], k: int) -> list[list[Product]]:
        """`k` random non-relevant products per example."""
        out = []
        for example in examples:
            negatives: list[Product] = []
            for _ in range(k * 4):
                candidate = self._catalog[self.rng.randrange(len(self._catalog))]
                if candidate.id not in example.relevant_ids and candidate.id != example.positive.id:
                    negatives.append(candidate)
                if len(negatives) == k:
                    break
            out.append(negatives)
        return out

    def get_config_dict(self) -> dict[str, Any]:
        """Settings for the model card."""
        return {**super().get_config_dict(), "catalog_size": len(self._catalog)}
