"""Shoppers' purchase histories and the user vectors pooled from them (numpy only, no torch)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from encoders.user_tower import RecencyPoolingTower
from kernel.data import PurchaseEvent

__all__ = ["Purchase", "purchases_at", "user_vectors"]

Vectors = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Purchase:
    """One purchase in a shopper's history."""

    product_id: str
    age_days: float
    quantity: float = 1.0


def purchases_at(histories: Mapping[str, Sequence[PurchaseEvent]], now: dt.datetime) -> dict[str, list[Purchase]]:
    """Each shopper's validated events (`kernel.data.read_events`) as purchases aged at `now`."""
    return {
        user: [
            Purchase(e.product_id, max((now - e.timestamp).total_seconds() / 86_400, 0.0), float(e.quantity))
            for e in events
        ]
        for user, events in histories.items()
    }


def user_vectors(
    histories: dict[str, list[Purchase]],
    encode_products: Callable[[Sequence[str]], Vectors],
    tower: RecencyPoolingTower,
) -> dict[str, Vectors]:
    """Each shopper's user vector (shoppers with no encodable history are left out)."""
    ids = sorted({p.product_id for history in histories.values() for p in history})
    vectors = dict(zip(ids, encode_products(ids), strict=True)) if ids else {}
    out: dict[str, Vectors] = {}
    for user, history in histories.items():
        known = [p for p in history if p.product_id in vectors]
        if not known:
            continue
        vector = tower.user_vector(
            np.stack([vectors[p.product_id] for p in known]),
            np.array([p.age_days for p in known]),
            np.array([p.quantity for p in known]),
        )
        if vector is not None:
            out[user] = vector
    return out
