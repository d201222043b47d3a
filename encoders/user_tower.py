"""The user tower at serving time: purchase history → one unit vector that personalizes queries.

`RecencyPoolingTower` is the untrained tower: a recency- and quantity-weighted mean of the
purchased products' vectors (weights halve every `half_life_days`). A trained tower, when one is
exported with the model, replaces the mean by attention pooling and a learned gate; both expose
the same `user_vector`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["RecencyPoolingTower"]

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
