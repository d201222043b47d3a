"""Per-query ranking metrics: nDCG@10, Recall@K and MRR over the full corpus, nDCG over the judged set.

One definition for everyone: training ranks its checkpoints and evaluation scores systems with these.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = ["RECALL_CUTOFFS", "judged_ndcg", "mrr", "ndcg_at", "query_metrics", "recall_at", "relevant_set"]

RECALL_CUTOFFS = (10, 24, 100)


def ndcg_at(ranked: Sequence[str], grades: dict[str, int], k: int = 10) -> float:
    """nDCG@k with gains 2^grade − 1."""
    dcg = sum((2 ** grades.get(doc, 0) - 1) / math.log2(i + 2) for i, doc in enumerate(ranked[:k]))
    ideal = sorted(grades.values(), reverse=True)[:k]
    idcg = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall_at(ranked: Sequence[str], relevant: set[str], k: int) -> float:
    """Share of the relevant products found in the top k."""
    return len(relevant.intersection(ranked[:k])) / len(relevant) if relevant else 0.0


def relevant_set(grades: dict[str, int]) -> set[str]:
    """Products that count as relevant: grade ≥ 2, or the query's best grade when none reaches 2."""
    best = max(grades.values(), default=0)
    return {doc for doc, grade in grades.items() if grade >= min(2, best) and grade > 0}


def mrr(ranked: Sequence[str], relevant: set[str]) -> float:
    """1 / rank of the first relevant product (0 when none was retrieved)."""
    return next((1 / (i + 1) for i, doc in enumerate(ranked) if doc in relevant), 0.0)


def judged_ndcg(ranked: Sequence[str], grades: dict[str, int], k: int = 10) -> float:
    """nDCG@k of the ranking condensed to judged products (the re-ranking view).

    It measures how well the system orders what was judged, whatever unjudged products it also retrieved.
    """
    return ndcg_at([doc for doc in ranked if doc in grades], grades, k)


def query_metrics(ranked: Sequence[str], grades: dict[str, int]) -> dict[str, float]:
    """Every metric of one query's ranking."""
    relevant = relevant_set(grades)
    values = {"ndcg@10": ndcg_at(ranked, grades), "mrr": mrr(ranked, relevant)}
    values |= {f"recall@{k}": recall_at(ranked, relevant, k) for k in RECALL_CUTOFFS}
    values["judged_ndcg@10"] = judged_ndcg(ranked, grades)
    return values
