"""The interface every negative sampler implements."""

from __future__ import annotations

import random
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from kernel.product import Product

__all__ = ["NegativeSampler", "TrainingExample"]


@dataclass(frozen=True)
class TrainingExample:
    """A query, a product it should find, and every product judged relevant for it.

    `relevant_ids` are never used as negatives: they would be false negatives. Where search logs
    have them, `shown` is the result page the shopper saw and `clicked` the products clicked on it
    (the staged samples of MMSE: purchased > clicked > shown but not clicked > random).
    """

    query: str
    positive: Product
    relevant_ids: frozenset[str] = field(default_factory=frozenset)
    shown: tuple[str, ...] = ()
    clicked: frozenset[str] = field(default_factory=frozenset)
    user_id: str | None = None  # whose purchase history personalizes the query (aisle train --personalize)


class NegativeSampler(ABC):
    """Chooses hard negatives for a batch of examples; seeded, and reseeded each epoch (`seed + epoch`).

    Args:
        seed: Random seed; never touches the global RNG.
    """

    name = "base"

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self.epoch = 0
        self.rng = random.Random(seed)

    def set_epoch(self, epoch: int) -> None:
        """Start a new epoch: the sampler's RNG becomes `seed + epoch`."""
        self.epoch = epoch
        self.rng = random.Random(self.seed + epoch)

    @abstractmethod
    def sample(self, examples: Sequence[TrainingExample], k: int) -> list[list[Product]]:
        """Up to `k` negatives per example (an empty list: in-batch negatives only)."""

    def get_config_dict(self) -> dict[str, Any]:
        """The sampler's settings, saved next to a trained model."""
        return {"name": self.name, "seed": self.seed}
