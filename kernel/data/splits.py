"""Train/dev/test splits by query text: the same split whoever computes it, however the data is ordered."""

from __future__ import annotations

import hashlib
from enum import StrEnum

__all__ = ["Split", "query_key", "split_of"]


class Split(StrEnum):
    """Which part of the data a query belongs to."""

    TRAIN = "train"
    DEV = "dev"
    TEST = "test"


def query_key(text: str) -> str:
    """A query's text as queries are told apart: lower-cased, spaces collapsed."""
    return " ".join(text.lower().split())


def split_of(query: str, seed: int = 13, dev: float = 0.1, test: float = 0.1) -> Split:
    """The query's split: a seeded hash of its normalized text (80/10/10 by default)."""
    key = query_key(query)
    bucket = int.from_bytes(hashlib.sha256(f"{seed}:{key}".encode()).digest()[:8], "big") / 2**64
    return Split.TEST if bucket < test else Split.DEV if bucket < test + dev else Split.TRAIN
