"""In-batch negatives only: every other example's positive in the batch is a negative."""

from __future__ import annotations

from collections.abc import Sequence

from encoders.samplers.base import NegativeSampler, TrainingExample
from kernel.product import Product

__all__ = ["InBatchSampler"]


class InBatchSampler(NegativeSampler):
    """No extra negatives; MultipleNegativesRanking loss supplies the batch's own.

    Example:
        >>> from kernel.product import Product
        >>> InBatchSampler().sample([TrainingExample("drill", Product(id="1", title="Drill"))], k=3)
        [[]]
    """

    name = "in-batch"

    def sample(self, examples: Sequence[TrainingExample], k: int) -> list[list[Product]]:
        """No negatives beyond the batch."""
        return [[] for _ in examples]
