"""The user-profile document the `users` index stores (mapping `users.v1`), as the indexer writes it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import numpy.typing as npt

from kernel.data.events import PurchaseEvent

__all__ = ["USERS_MAPPING", "user_document"]

USERS_MAPPING = "users.v1"


def user_document(
    user_id: str,
    events: list[PurchaseEvent],
    recent: list[PurchaseEvent],
    demographics: dict[str, str],
    vector: npt.NDArray[np.float32] | None,
    now: dt.datetime,
) -> dict[str, Any]:
    """The `_source` of one shopper: recent history (newest first), counts, demographics and user vector."""
    return {
        "user_id": user_id,
        "history": [
            {"product_id": e.product_id, "timestamp": e.timestamp.isoformat(), "quantity": e.quantity, "event": e.event}
            for e in recent
        ],
        "purchases": len(events),
        "last_purchase": events[0].timestamp.isoformat() if events else None,
        "demographics": demographics or None,
        "updated_at": now.isoformat(),
        "vector": vector.tolist() if vector is not None else None,
    }
