"""Per-query ranking metrics: nDCG@10, Recall@K and MRR over the full corpus, nDCG over the judged set.

The primitives are the encoders' (training ranks its checkpoints with the same definitions).
"""

from __future__ import annotations

from collections.abc import Sequence

from encoders.evaluation import mrr, relevant_set
from encoders.evaluation import ndcg_at as ndcg
from encoders.evaluation import recall_at as recall

__all__ = ["RECALL_CUTOFFS", "judged_ndcg", "mrr", "ndcg", "query_metrics", "recall", "relevant_set"]

RECALL_CUTOFFS = (10, 24, 100)


def judged_ndcg(ranked: Sequence[str], grades: dict[str, int], k: int = 10) -> float:
    """nDCG@k of the ranking condensed to judged products (the re-ranking view).

    It measures how well the system orders what was judged, whatever unjudged products it also retrieved.
    """
    return ndcg([doc for doc in ranked if doc in grades], grades, k)


def query_metrics(ranked: Sequence[str], grades: dict[str, int]) -> dict[str, float]:
    """Every metric of one query's ranking."""
    relevant = relevant_set(grades)
    values = {"ndcg@10": ndcg(ranked, grades), "mrr": mrr(ranked, relevant)}
    values |= {f"recall@{k}": recall(ranked, relevant, k) for k in RECALL_CUTOFFS}
    values["judged_ndcg@10"] = judged_ndcg(ranked, grades)
    return values
