"""Training examples from the data aisle knows: a SIMULATED store's searches and Home Depot's judgments.

The files are read by the kernel's data layer (`kernel.data`), the same readers evaluation uses;
here they become (query, product to find) examples, and the dev queries that rank checkpoints.
"""

from __future__ import annotations

from pathlib import Path

from encoders.samplers.base import TrainingExample
from kernel.data import (
    JudgedQuery,
    Split,
    home_depot_queries,
    read_home_depot_ratings,
    read_qrels,
    read_sessions,
    simulated_queries,
    split_of,
)
from kernel.product import Product

__all__ = ["home_depot_examples", "simulated_store_examples"]


def simulated_store_examples(
    folder: Path, products: dict[str, Product], split: Split, seed: int = 13
) -> tuple[list[TrainingExample], list[JudgedQuery]]:
    """(query → purchased product) examples and graded queries of one split of a simulated store."""
    qrels = read_qrels(folder / "qrels.txt")
    sessions = read_sessions(folder)
    examples = [
        TrainingExample(
            s.query,
            products[s.purchased],
            frozenset(qrels[s.query_id]),
            shown=s.shown,
            clicked=s.clicked,
            user_id=s.user_id,
        )
        for s in sessions
        if split_of(s.query, seed) is split
    ]
    return examples, simulated_queries(sessions, qrels, split, seed)


def home_depot_examples(
    judgments: Path, products: dict[str, Product], split: Split, seed: int = 13, positive_at: float = 2.5
) -> tuple[list[TrainingExample], list[JudgedQuery]]:
    """Examples from Home Depot judgments: a mean rating ≥ `positive_at` is a positive (products in `products`)."""
    ratings = {
        query: kept
        for query, judged in read_home_depot_ratings(judgments).items()
        if split_of(query, seed) is split and (kept := {p: r for p, r in judged.items() if p in products})
    }
    examples = []
    for query, judged in sorted(ratings.items()):
        relevant = frozenset(p for p, r in judged.items() if r >= 2.0)
        examples += [TrainingExample(query, products[p], relevant) for p, r in judged.items() if r >= positive_at]
    return examples, home_depot_queries(ratings, split, seed)
