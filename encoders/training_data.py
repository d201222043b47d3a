"""Training examples from the data aisle knows: the simulated store and Home Depot judgments.

Queries are split into train/dev/test by a seeded hash of the query text, so the split is the same
however the data is ordered and whoever computes it (the evaluation harness uses this function too).
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from encoders.errors import TrainingDataError
from encoders.samplers.base import TrainingExample
from kernel.product import Product

__all__ = [
    "EvalQuery",
    "Split",
    "home_depot_examples",
    "home_depot_grades",
    "read_qrels",
    "simulated_store_examples",
    "split_of",
]


class Split(StrEnum):
    """Which part of the data a query belongs to."""

    TRAIN = "train"
    DEV = "dev"
    TEST = "test"


def split_of(query: str, seed: int = 13, dev: float = 0.1, test: float = 0.1) -> Split:
    """The query's split: a seeded hash of its normalized text (80/10/10 by default)."""
    key = " ".join(query.lower().split())
    bucket = int.from_bytes(hashlib.sha256(f"{seed}:{key}".encode()).digest()[:8], "big") / 2**64
    return Split.TEST if bucket < test else Split.DEV if bucket < test + dev else Split.TRAIN


@dataclass(frozen=True)
class EvalQuery:
    """A query with its graded judgments (product id → grade > 0) and, in search logs, who searched."""

    query_id: str
    text: str
    grades: dict[str, int]
    user_id: str | None = None


def _load_products(catalog: Iterable[Product]) -> dict[str, Product]:
    products = {p.id: p for p in catalog}
    if not products:
        raise TrainingDataError("The catalog is empty; there is nothing to train on.")
    return products


def read_qrels(path: Path) -> defaultdict[str, dict[str, int]]:
    """TREC qrels (`qid 0 docid grade`) as query id → product id → grade, positive grades only."""
    grades: defaultdict[str, dict[str, int]] = defaultdict(dict)
    for line in path.read_text().splitlines():
        if line.strip():
            query_id, _, product_id, grade = line.split()
            if int(grade) > 0:
                grades[query_id][product_id] = int(grade)
    return grades


def home_depot_grades(ratings: dict[str, float]) -> dict[str, int]:
    """Mean Home Depot ratings (1-3) as grades: 2 highly, 1 somewhat relevant, barely relevant left out."""
    return {product: round(r) - 1 for product, r in ratings.items() if round(r) > 1}


def simulated_store_examples(
    folder: Path, products: dict[str, Product], split: Split, seed: int = 13
) -> tuple[list[TrainingExample], list[EvalQuery]]:
    """(query → purchased product) examples and graded queries of one split of a simulated store."""
    grades = read_qrels(folder / "qrels.txt")
    examples, queries = [], []
    for line in (folder / "sessions.jsonl").read_text().splitlines():
        session = json.loads(line)
        if split_of(session["query"], seed) is not split:
            continue
        relevant = frozenset(grades[session["query_id"]])
        examples.append(TrainingExample(
            session["query"], products[session["purchased"]], relevant,
            shown=tuple(session.get("shown", ())), clicked=frozenset(session.get("clicked", ())),
            user_id=session.get("user_id"),
        ))  # fmt: skip
        queries.append(
            EvalQuery(session["query_id"], session["query"], grades[session["query_id"]], session.get("user_id"))
        )
    return examples, queries


def home_depot_examples(
    judgments: Path, products: dict[str, Product], split: Split, seed: int = 13, positive_at: float = 2.5
) -> tuple[list[TrainingExample], list[EvalQuery]]:
    """Examples from Home Depot judgments: relevance ≥ `positive_at` is a positive; grades 1-3 rounded."""
    by_query: dict[str, dict[str, float]] = defaultdict(dict)
    with gzip.open(judgments, "rt", encoding="utf-8") as rows:
        for row in csv.DictReader(rows):
            if split_of(row["search_term"], seed) is split and row["product_uid"] in products:
                by_query[row["search_term"]][row["product_uid"]] = float(row["relevance"])
    examples, queries = [], []
    for n, (query, judged) in enumerate(sorted(by_query.items())):
        relevant = frozenset(p for p, r in judged.items() if r >= 2.0)
        examples += [TrainingExample(query, products[p], relevant) for p, r in judged.items() if r >= positive_at]
        # Graded for nDCG: 3 highly, 2 somewhat, 1 barely relevant (mean human rating, rounded).
        graded = home_depot_grades(judged)
        queries.append(EvalQuery(f"hd-{n}", query, graded))
    return examples, queries
