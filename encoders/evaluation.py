"""Retrieval metrics of a vector space over a whole corpus, by exact dot products (the kernel's metrics)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from kernel.data import JudgedQuery, mrr, ndcg_at, recall_at, relevant_set

__all__ = ["corpus_metrics"]


def corpus_metrics(
    query_vectors: npt.NDArray[np.float32],
    product_vectors: npt.NDArray[np.float32],
    product_ids: Sequence[str],
    queries: Sequence[JudgedQuery],
    ks: Sequence[int] = (10, 100),
) -> dict[str, float]:
    """Mean nDCG@10, Recall@k (relevant = grade ≥ 2, or the best grade when none reaches 2) and MRR."""
    totals: dict[str, float] = {"ndcg@10": 0.0, "mrr": 0.0, **{f"recall@{k}": 0.0 for k in ks}}
    depth = max(*ks, 10)
    scores = query_vectors @ product_vectors.T
    top = np.argpartition(-scores, min(depth, scores.shape[1] - 1), axis=1)[:, :depth]
    for row, query in enumerate(queries):
        order = top[row][np.argsort(-scores[row, top[row]])]
        ranked = [product_ids[i] for i in order]
        relevant = relevant_set(query.grades)
        totals["ndcg@10"] += ndcg_at(ranked, query.grades)
        totals["mrr"] += mrr(ranked, relevant)
        for k in ks:
            totals[f"recall@{k}"] += recall_at(ranked, relevant, k)
    return {name: value / max(len(queries), 1) for name, value in totals.items()}
