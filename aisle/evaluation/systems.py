"""The systems `aisle eval` compares, each a way of calling the API's own search service."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from query_api.schemas import Fusion, Mode

__all__ = ["SYSTEMS", "ModelRole", "Stage", "System"]


class ModelRole(StrEnum):
    """Which encoder a system's index and queries use."""

    BASE = "base"
    FINETUNED = "finetuned"


class Stage(StrEnum):
    """What follows the first stage."""

    NONE = "none"  # the fused order
    CROSS_ENCODER = "cross-encoder"  # the cross-encoder beside the model alone
    LTR = "ltr"  # the learned ranker beside the model (with the cross-encoder's score if it was trained on it)
    SERVED = "served"  # whatever `/search` does with no parameters: the API's settings over serving.json


@dataclass(frozen=True)
class System:
    """A named ranking: a search mode, a fusion, the model behind its vectors, and what re-ranks it."""

    name: str
    mode: Mode | None
    model: ModelRole
    fusion: Fusion | None = None
    stage: Stage = Stage.NONE
    max_per_brand: int | None = None  # the diversity guard's limit (None: the API's)


SYSTEMS = {
    s.name: s
    for s in [
        System("bm25", Mode.BM25, ModelRole.BASE),
        System("dense-base", Mode.DENSE, ModelRole.BASE),
        System("dense-finetuned", Mode.DENSE, ModelRole.FINETUNED),
        System("hybrid-minmax-base", Mode.HYBRID, ModelRole.BASE, Fusion.MINMAX),
        System("hybrid-minmax", Mode.HYBRID, ModelRole.FINETUNED, Fusion.MINMAX),
        System("hybrid-rrf", Mode.HYBRID, ModelRole.FINETUNED, Fusion.RRF),
        System("personalized", Mode.PERSONALIZED, ModelRole.FINETUNED, Fusion.MINMAX),
        System("rerank-ce", Mode.HYBRID, ModelRole.FINETUNED, Fusion.MINMAX, Stage.CROSS_ENCODER),
        System("ltr", Mode.HYBRID, ModelRole.FINETUNED, Fusion.MINMAX, Stage.LTR),
        System("ltr-personalized", Mode.PERSONALIZED, ModelRole.FINETUNED, Fusion.MINMAX, Stage.LTR),
        # What `/search` does with no parameters but the query (and the shopper).
        System("default", None, ModelRole.FINETUNED, None, Stage.SERVED),
        # The same with at most 3 hits of one brand in the first 10 places.
        System("default-diverse", None, ModelRole.FINETUNED, None, Stage.SERVED, max_per_brand=3),
    ]
}
