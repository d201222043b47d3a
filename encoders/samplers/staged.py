"""MMSE-style staged samples from search logs: purchased > clicked > shown but not clicked > random.

After MMSE (arXiv 2303.11009): a product the shopper saw and passed over is a harder, more
informative negative than a random one, and a clicked one sits between it and the purchase. For
MultipleNegativesRanking only the shown-unclicked and random products are negatives (a click may
be a relevant product); `staged` also returns a clicked product, with every product's stage, for
the ranking loss (`encoders.losses.StagedRankingLoss`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from encoders.errors import TrainingDataError
from encoders.samplers.base import NegativeSampler, TrainingExample
from kernel.product import Product

__all__ = ["CLICKED", "PURCHASED", "RANDOM", "SHOWN", "StagedSampler"]

PURCHASED, CLICKED, SHOWN, RANDOM = 3, 2, 1, 0


class StagedSampler(NegativeSampler):
    """Shown-but-not-clicked products as negatives, topped up with random ones.

    Args:
        catalog: Products the logs refer to (and random negatives come from).
        seed: Random seed.
        random_share: Share of the `k` negatives that are random rather than shown-unclicked.

    Raises:
        TrainingDataError: from `sample`, when no example carries a logged result page.

    Example:
        >>> from kernel.product import Product
        >>> catalog = [Product(id=i, title=i) for i in "abcd"]
        >>> s = StagedSampler(catalog, seed=0, random_share=0.0)
        >>> e = TrainingExample("q", catalog[0], shown=("a", "b", "c"), clicked=frozenset({"a", "b"}))
        >>> [p.id for p in s.sample([e], k=1)[0]]
        ['c']
    """

    name = "mmse"

    def __init__(self, catalog: Sequence[Product], seed: int = 0, random_share: float = 0.5) -> None:
        super().__init__(seed)
        self.random_share = random_share
        self._catalog = list(catalog)
        self._by_id = {p.id: p for p in self._catalog}

    def sample(self, examples: Sequence[TrainingExample], k: int) -> list[list[Product]]:
        """`k` negatives per example: shown-unclicked first, then random non-relevant products."""
        return [[p for p, _ in self._staged_one(e, k)] for e in self._checked(examples)]

    def staged(self, examples: Sequence[TrainingExample], k: int) -> list[list[tuple[Product, int]]]:
        """Per example: a clicked-not-purchased product when there is one, then `k` negatives; each with its stage."""
        out = []
        for example in self._checked(examples):
            clicked = sorted(c for c in example.clicked if c != example.positive.id and c in self._by_id)
            first = [(self._by_id[self.rng.choice(clicked)], CLICKED)] if clicked else []
            out.append(first + self._staged_one(example, k))
        return out

    def _checked(self, examples: Sequence[TrainingExample]) -> Sequence[TrainingExample]:
        if examples and not any(e.shown for e in examples):
            raise TrainingDataError(
                "The mmse sampler needs search logs with the shown and clicked products of each search "
                "(the simulated store has them; Home Depot judgments do not); choose another --sampler."
            )
        return examples

    def _staged_one(self, example: TrainingExample, k: int) -> list[tuple[Product, int]]:
        excluded = example.relevant_ids | example.clicked | {example.positive.id}
        passed_over = [self._by_id[s] for s in example.shown if s not in excluded and s in self._by_id]
        shown = self.rng.sample(passed_over, min(len(passed_over), k - round(k * self.random_share)))
        chosen: list[tuple[Product, int]] = [(p, SHOWN) for p in shown]
        for _ in range(k * 4):
            if len(chosen) == k:
                break
            candidate = self._catalog[self.rng.randrange(len(self._catalog))]
            if candidate.id not in excluded and all(candidate.id != p.id for p, _ in chosen):
                chosen.append((candidate, RANDOM))
        return chosen

    def get_config_dict(self) -> dict[str, Any]:
        """Settings for the model card."""
        return {**super().get_config_dict(), "random_share": self.random_share}
