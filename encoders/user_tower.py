"""The user tower at serving time: purchase history → one unit vector that personalizes queries.

`RecencyPoolingTower` pools history: a recency- and quantity-weighted mean of the purchased
products' vectors (weights halve every `half_life_days`); the indexer stores that vector per shopper.
`LearnedGate` maps it through the trained user projection (when it has one) and fuses it with the
query vector; it is trained by `aisle train --personalize` and exported beside the model. Without a
gate the API mixes in the pooled vector at a fixed weight. A gate trained on shopper profiles also
carries one learned offset per demographic value (`region=south`), so a shopper with no purchases but
a known profile still gets a personal query vector.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["USER_GATE_FILE", "LearnedGate", "RecencyPoolingTower", "demographic_token"]

Vectors = npt.NDArray[np.float32]


@dataclass(frozen=True)
class RecencyPoolingTower:
    """Recency-weighted mean pooling of purchased product vectors.

    Args:
        half_life_days: Age at which a purchase counts half as much as one made now.

    Example:
        >>> import numpy as np
        >>> tower = RecencyPoolingTower(half_life_days=30)
        >>> v = tower.user_vector(np.array([[1, 0], [0, 1]], dtype=np.float32), np.array([0.0, 30.0]))
        >>> [round(float(x), 3) for x in v]
        [0.894, 0.447]
    """

    half_life_days: float = 90.0

    def user_vector(
        self,
        product_vectors: Vectors,
        ages_days: npt.NDArray[np.float64],
        quantities: npt.NDArray[np.float64] | None = None,
    ) -> Vectors | None:
        """The user's unit vector, or None for an empty history."""
        if len(product_vectors) == 0:
            return None
        weights = np.power(0.5, np.clip(ages_days, 0, None) / self.half_life_days)
        if quantities is not None:
            weights = weights * np.log1p(np.clip(quantities, 1, None)) / np.log(2)  # 1 for one unit, sublinear after
        pooled = (weights[:, None] * product_vectors).sum(axis=0)
        norm = float(np.linalg.norm(pooled))
        if norm == 0.0:
            return None
        vector: Vectors = (pooled / norm).astype(np.float32)
        return vector


USER_GATE_FILE = "user_gate.json"  # beside a model that was trained with personalization


@dataclass(frozen=True)
class LearnedGate:
    """The trained fusion of query and user vectors: how far to lean toward this shopper, for this query.

    fused = normalize(q + g·u + d), g = max_weight · sigmoid(w_query·q + w_user·u + w_similarity·(q·u) + bias),
    where u = normalize(W·pooled history) with a `user_projection` W, else the pooled history itself,
    and d the sum of the `demographic_offsets` of the shopper's profile values (0 without a profile).
    The gate learns when history should count: little for a query far from anything the shopper
    bought, more for an ambiguous one ("bench") near their purchases. The projection learns which
    directions of a history say something about taste (brand, style, price tier) rather than topic.

    Example:
        >>> import numpy as np
        >>> gate = LearnedGate(np.zeros(2, np.float32), np.zeros(2, np.float32), 0.0, 0.0, 1.0)
        >>> gate.weight(np.array([1, 0], np.float32), np.array([0, 1], np.float32))
        0.5
    """

    w_query: Vectors
    w_user: Vectors
    w_similarity: float
    bias: float
    max_weight: float
    user_projection: Vectors | None = None
    demographic_offsets: Mapping[str, Vectors] = field(default_factory=dict)

    def demographic_offset(self, demographics: Mapping[str, str] | None) -> Vectors | None:
        """The summed offsets of the profile's values the gate was trained on, or None when it knows none."""
        if not demographics or not self.demographic_offsets:
            return None
        known = [self.demographic_offsets.get(demographic_token(k, v)) for k, v in demographics.items()]
        found = [offset for offset in known if offset is not None]
        return np.sum(found, axis=0).astype(np.float32) if found else None

    def user_signal(self, user: Vectors) -> Vectors:
        """The pooled history as the gate uses it: projected and renormalized when there is a projection."""
        if self.user_projection is None:
            return user
        projected = user @ self.user_projection
        norm = float(np.linalg.norm(projected))
        signal: Vectors = (projected / norm).astype(np.float32) if norm else projected.astype(np.float32)
        return signal

    def weight(self, query: Vectors, user: Vectors) -> float:
        """The gate value g for this query and a (projected) user signal."""
        logit = float(self.w_query @ query + self.w_user @ user + self.w_similarity * float(query @ user) + self.bias)
        return self.max_weight / (1.0 + float(np.exp(-logit)))

    def fuse(self, query: Vectors, user: Vectors | None, demographics: Mapping[str, str] | None = None) -> Vectors:
        """The personalized unit query vector for a pooled history `user` (None: no history) and a profile."""
        mixed = query
        if user is not None:
            signal = self.user_signal(user)
            mixed = mixed + self.weight(query, signal) * signal
        offset = self.demographic_offset(demographics)
        if offset is not None:
            mixed = mixed + offset
        fused: Vectors = (mixed / np.linalg.norm(mixed)).astype(np.float32)
        return fused

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready parameters."""
        projection = None if self.user_projection is None else self.user_projection.tolist()
        offsets = {token: offset.tolist() for token, offset in self.demographic_offsets.items()}
        return {
            "w_query": self.w_query.tolist(),
            "w_user": self.w_user.tolist(),
            "w_similarity": self.w_similarity,
            "bias": self.bias,
            "max_weight": self.max_weight,
            "user_projection": projection,
            "demographic_offsets": offsets,
        }

    @classmethod
    def load(cls, path: Path) -> LearnedGate:
        """Read a gate written as JSON by training."""
        raw = json.loads(path.read_text())
        projection = raw.get("user_projection")  # absent in gates trained before there was one
        offsets = {token: np.asarray(v, np.float32) for token, v in (raw.get("demographic_offsets") or {}).items()}
        return cls(
            np.asarray(raw["w_query"], np.float32),
            np.asarray(raw["w_user"], np.float32),
            float(raw["w_similarity"]),
            float(raw["bias"]),
            float(raw["max_weight"]),
            None if projection is None else np.asarray(projection, np.float32),
            offsets,
        )


def demographic_token(name: str, value: str) -> str:
    """How one profile value is keyed in a gate: `region=south`."""
    return f"{name}={value}"
