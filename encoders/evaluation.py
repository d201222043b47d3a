"""Retrieval metrics over a whole corpus: Recall@K, nDCG@10 and MRR, by exact dot products."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from encoders.training_data import EvalQuery

__all__ = ["corpus_metrics", "mrr", "ndcg_at", "recall_at", "relevant_set"]


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


def corpus_metrics(
    query_vectors: npt.NDArray[np.float32],
    product_vectors: npt.NDArray[np.float32],
    product_ids: Sequence[str],
    queries: Sequence[EvalQuery],
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
