"""The systems `aisle eval` compares, each a way of calling the API's own search service."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from query_api.schemas import Fusion, Mode

__all__ = ["SYSTEMS", "ModelRole", "System"]


class ModelRole(StrEnum):
    """Which encoder a system's index and queries use."""

    BASE = "base"
    FINETUNED = "finetuned"


@dataclass(frozen=True)
class System:
    """A named ranking: a search mode, a fusion and the model behind its vectors."""

    name: str
    mode: Mode
    model: ModelRole
    fusion: Fusion | None = None


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
    ]
}
