"""How training examples are grouped into batches; in MNRL each batch's other positives are the negatives.

`RandomBatches` is the usual shuffle. `TaxonomyBatches` is TB-HNS at no extra cost: it fills each
batch with a few runs of examples whose positives sit in the same or neighbouring branches of the
category tree, so the in-batch negatives are the look-alikes TB-HNS is after, without encoding a
single extra text (hard-negative columns double the texts a step encodes). Both packers keep out of
a batch any example whose positive is another member's positive or is judged relevant for another
member's query: in-batch, either would be a false negative.
"""

from __future__ import annotations

import random
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

from encoders.samplers.base import TrainingExample

__all__ = ["BatchPlanner", "RandomBatches", "TaxonomyBatches"]

Batch = list[TrainingExample]


class BatchPlanner(ABC):
    """Splits one epoch's examples into batches."""

    name = "base"

    @abstractmethod
    def plan(self, examples: Sequence[TrainingExample], size: int, rng: random.Random) -> list[Batch]:
        """Every example once, in batches of at most `size` with no false negatives inside a batch."""

    def get_config_dict(self) -> dict[str, Any]:
        """Settings for the model card."""
        return {"name": self.name}


class RandomBatches(BatchPlanner):
    """Shuffled batches.

    Example:
        >>> from kernel.product import Product
        >>> a, b = Product(id="a", title="Bench"), Product(id="b", title="Chair")
        >>> batches = RandomBatches().plan([TrainingExample("bench", a), TrainingExample("seat", a),
        ...                                 TrainingExample("chair", b)], size=2, rng=random.Random(0))
        >>> sorted(len(batch) for batch in batches)  # product "a" never twice in one batch
        [1, 2]
    """

    name = "random"

    def plan(self, examples: Sequence[TrainingExample], size: int, rng: random.Random) -> list[Batch]:
        """Shuffle, then pack."""
        ordered = list(examples)
        rng.shuffle(ordered)
        return pack(ordered, size)


class TaxonomyBatches(BatchPlanner):
    """Batches made of `run`-long stretches of examples from one branch of the category tree.

    The examples are ordered by a random depth-first walk of the tree (a new walk every epoch), so
    consecutive examples share a leaf, then a parent, then a grandparent: cutting that order into
    runs of `run` examples widens a run to neighbouring branches exactly when a branch is thin. The
    runs are shuffled and packed into batches: with the default 8 and batch size 32, each example
    meets 7 taxonomy neighbours and 24 random products as negatives.

    Args:
        run: Consecutive examples of one branch per batch; the batch size is the most (all one branch).

    Example:
        >>> from kernel.product import Product
        >>> products = [Product(id=f"{kind}{n}", title=kind, category=f"Tools > {kind}")
        ...             for kind in ("saw", "drill") for n in range(4)]
        >>> examples = [TrainingExample(p.id, p) for p in products]
        >>> batches = TaxonomyBatches(run=4).plan(examples, size=4, rng=random.Random(1))
        >>> sorted(len({e.positive.category[-1] for e in batch}) for batch in batches)
        [1, 1]
    """

    name = "taxonomy"

    def __init__(self, run: int = 8) -> None:
        if run < 1:
            raise ValueError(f"run must be at least 1, got {run}")
        self.run = run

    def plan(self, examples: Sequence[TrainingExample], size: int, rng: random.Random) -> list[Batch]:
        """Order by a random walk of the tree, cut into runs, shuffle the runs, pack."""
        node_keys: dict[tuple[str, ...], float] = {}

        def walk_position(example: TrainingExample) -> tuple[float, ...]:
            path = tuple(example.positive.category)
            for depth in range(1, len(path) + 1):
                node_keys.setdefault(path[:depth], rng.random())
            return (*(node_keys[path[:depth]] for depth in range(1, len(path) + 1)), rng.random())

        ordered = sorted(examples, key=walk_position)
        runs = [ordered[start : start + self.run] for start in range(0, len(ordered), self.run)]
        rng.shuffle(runs)
        return pack([example for run in runs for example in run], size)

    def get_config_dict(self) -> dict[str, Any]:
        """Settings for the model card."""
        return {**super().get_config_dict(), "run": self.run}


def pack(ordered: Sequence[TrainingExample], size: int) -> list[Batch]:
    """Batches in `ordered` order; an example that would be a false negative waits for a later batch."""
    batches: list[Batch] = []
    pending = list(ordered)
    while pending:
        batch: Batch = []
        positives: set[str] = set()
        relevant: set[str] = set()
        rest: Batch = []
        for at, example in enumerate(pending):
            if len(batch) == size:
                rest.extend(pending[at:])
                break
            fits = (
                example.positive.id not in positives
                and example.positive.id not in relevant
                and positives.isdisjoint(example.relevant_ids)
            )
            if fits:
                batch.append(example)
                positives.add(example.positive.id)
                relevant.update(example.relevant_ids)
            else:
                rest.append(example)
        batches.append(batch)
        pending = rest
    return batches
