"""Shoppers' purchase histories and the user vectors pooled from them (numpy only, no torch)."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from encoders.user_tower import RecencyPoolingTower

__all__ = ["Purchase", "read_demographics", "read_histories", "user_vectors"]

Vectors = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Purchase:
    """One purchase in a shopper's history."""

    product_id: str
    age_days: float
    quantity: float = 1.0


def read_histories(events: Path, now: dt.datetime) -> dict[str, list[Purchase]]:
    """Purchase events (JSON lines: user_id, product_id, quantity, timestamp) per shopper, aged at `now`."""
    histories: dict[str, list[Purchase]] = defaultdict(list)
    for line in events.read_text().splitlines():
        if line.strip():
            event = json.loads(line)
            age = (now - dt.datetime.fromisoformat(event["timestamp"])).total_seconds() / 86_400
            histories[event["user_id"]].append(
                Purchase(event["product_id"], max(age, 0.0), float(event.get("quantity", 1)))
            )
    return dict(histories)


def read_demographics(profiles: Path) -> dict[str, dict[str, str]]:
    """Shopper profiles (JSON lines: user_id plus demographic fields) as user → {field: value}."""
    demographics: dict[str, dict[str, str]] = {}
    for line in profiles.read_text().splitlines():
        if line.strip():
            row = json.loads(line)
            demographics[str(row["user_id"])] = {k: str(v) for k, v in row.items() if k != "user_id" and v is not None}
    return demographics


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
