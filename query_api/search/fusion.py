"""Blend BM25 and k-NN result lists in the service, exactly as the neural-search processors do.

Used where the cluster has no neural-search plugin, and to explain hybrid scores. Min-max: each
list is normalized to [0, 1] over its own results (a lone result is 1.0, the minimum becomes 0.001
rather than 0), a product missing from a list counts 0 there, and the weighted mean ranks. RRF:
each list contributes 1 / (rank_constant + rank).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Fused", "minmax_fuse", "rrf_fuse"]

MIN_SCORE = 0.001
SINGLE_RESULT_SCORE = 1.0

Ranked = list[tuple[str, float]]


@dataclass(frozen=True)
class Fused:
    """One product after fusion, with what went into its score."""

    id: str
    score: float
    lexical: float | None
    semantic: float | None
    lexical_normalized: float | None
    semantic_normalized: float | None


def _minmax(ranked: Ranked) -> dict[str, float]:
    if not ranked:
        return {}
    scores = [s for _, s in ranked]
    low, high = min(scores), max(scores)
    if high == low:
        return {doc: SINGLE_RESULT_SCORE for doc, _ in ranked}
    return {doc: ((s - low) / (high - low)) or MIN_SCORE for doc, s in ranked}


def minmax_fuse(lexical: Ranked, semantic: Ranked, lexical_weight: float, semantic_weight: float) -> list[Fused]:
    """Min-max normalize each list, then rank by the weighted arithmetic mean."""
    lex_raw, sem_raw = dict(lexical), dict(semantic)
    lex_norm, sem_norm = _minmax(lexical), _minmax(semantic)
    total = lexical_weight + semantic_weight
    fused = [
        Fused(
            doc,
            (lexical_weight * lex_norm.get(doc, 0.0) + semantic_weight * sem_norm.get(doc, 0.0)) / total,
            lex_raw.get(doc),
            sem_raw.get(doc),
            lex_norm.get(doc),
            sem_norm.get(doc),
        )
        for doc in dict.fromkeys([*lex_raw, *sem_raw])
    ]
    return sorted(fused, key=lambda f: -f.score)


def rrf_fuse(lexical: Ranked, semantic: Ranked, rank_constant: int) -> list[Fused]:
    """Reciprocal rank fusion of the two lists."""
    lex_rank = {doc: rank for rank, (doc, _) in enumerate(lexical, start=1)}
    sem_rank = {doc: rank for rank, (doc, _) in enumerate(semantic, start=1)}
    lex_raw, sem_raw = dict(lexical), dict(semantic)
    fused = []
    for doc in dict.fromkeys([*lex_raw, *sem_raw]):
        lex = 1 / (rank_constant + lex_rank[doc]) if doc in lex_rank else None
        sem = 1 / (rank_constant + sem_rank[doc]) if doc in sem_rank else None
        fused.append(Fused(doc, (lex or 0.0) + (sem or 0.0), lex_raw.get(doc), sem_raw.get(doc), lex, sem))
    return sorted(fused, key=lambda f: -f.score)
