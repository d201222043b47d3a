from __future__ import annotations

import itertools
import random

import pytest

from encoders.samplers import BatchPlanner, RandomBatches, TaxonomyBatches, TrainingExample
from kernel.product import Product

PARENTS = {"Saws": ["Miter", "Table", "Jig", "Band"], "Drills": ["Hammer", "Press"], "Benches": ["Garden", "Vanity"]}


def _examples() -> list[TrainingExample]:
    examples = []
    for parent, leaves in PARENTS.items():
        for leaf in leaves:
            for n in range(12):
                product = Product(id=f"{leaf}-{n}", title=f"{leaf} {n}", category=["Home", parent, leaf])
                examples.append(TrainingExample(f"{leaf.lower()} {n}", product))
    return examples


def _same_parent_share(batches: list[list[TrainingExample]]) -> float:
    pairs = [(a, b) for batch in batches for a, b in itertools.combinations(batch, 2)]
    return sum(a.positive.category[1] == b.positive.category[1] for a, b in pairs) / len(pairs)


@pytest.mark.parametrize("planner", [RandomBatches(), TaxonomyBatches(run=4)])
def test_every_example_lands_in_exactly_one_batch_of_at_most_the_size(planner: BatchPlanner) -> None:
    examples = _examples()
    batches = planner.plan(examples, 16, random.Random(0))
    assert all(len(batch) <= 16 for batch in batches)
    assert sorted(id(e) for batch in batches for e in batch) == sorted(id(e) for e in examples)


@pytest.mark.parametrize("planner", [RandomBatches(), TaxonomyBatches(run=8)])
def test_no_batch_holds_a_false_negative(planner: BatchPlanner) -> None:
    # Three queries judge each other's products relevant; repeated positives too.
    examples = _examples()
    tangled = [e.positive for e in examples[:3]]
    for positive in tangled:
        examples.append(TrainingExample(f"again {positive.id}", positive))
        examples.append(TrainingExample(f"tangled {positive.id}", positive, frozenset(p.id for p in tangled)))
    for batch in planner.plan(examples, 16, random.Random(3)):
        positives = [e.positive.id for e in batch]
        assert len(positives) == len(set(positives))
        for example in batch:
            others = set(positives) - {example.positive.id}
            assert not others & example.relevant_ids, (example.query, others & example.relevant_ids)


def test_taxonomy_batches_put_branch_neighbours_together_far_more_than_shuffling() -> None:
    examples = _examples()
    shuffled = _same_parent_share(RandomBatches().plan(examples, 16, random.Random(1)))
    grouped = _same_parent_share(TaxonomyBatches(run=8).plan(examples, 16, random.Random(1)))
    assert grouped > shuffled + 0.1


def test_the_walk_keeps_every_branch_contiguous_so_runs_widen_to_neighbours_first() -> None:
    # One run and one batch as long as the data: the batch is the walk order itself.
    examples = _examples()
    for seed in range(5):
        (order,) = TaxonomyBatches(run=len(examples)).plan(examples, len(examples), random.Random(seed))
        for depth in (1, 2):  # parents, then leaves
            labels = [e.positive.category[depth] for e in order]
            blocks = [label for label, _ in itertools.groupby(labels)]
            assert len(blocks) == len(set(blocks)), f"a branch was split: {blocks}"


def test_the_walk_is_seeded() -> None:
    plan = lambda seed: [[e.query for e in b] for b in TaxonomyBatches().plan(_examples(), 8, random.Random(seed))]  # noqa: E731
    assert plan(4) == plan(4)
    assert plan(4) != plan(5)


def test_a_run_shorter_than_one_example_is_refused() -> None:
    with pytest.raises(ValueError, match="run must be at least 1"):
        TaxonomyBatches(run=0)
