"""Product vectors kept from one job for the next, so that `aisle up` encodes its catalog once.

Training the user tower on a frozen encoder encodes every product; indexing would encode them all
again with the same model. The vectors are saved keyed by the SHA-256 of each product's rendered
text, with the fingerprint and backend that made them, and an encoder of the same fingerprint and
backend takes them instead of encoding (a product whose text changed is simply not found and is
encoded).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from encoders.backends import Vectors

__all__ = ["PRODUCT_VECTORS_FILE", "ProductVectors", "text_key"]

PRODUCT_VECTORS_FILE = "product_vectors.npz"


def text_key(text: str) -> str:
    """The key of a rendered product text."""
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class ProductVectors:
    """Vectors by rendered-text key, and what made them."""

    fingerprint: str
    backend: str
    by_key: dict[str, Vectors]

    @classmethod
    def of(cls, fingerprint: str, backend: str, texts: Sequence[str], vectors: Vectors) -> ProductVectors:
        """The vectors of `texts` (row i is text i)."""
        return cls(fingerprint, backend, {text_key(t): v for t, v in zip(texts, vectors, strict=True)})

    def save(self, path: Path) -> None:
        """Write them as one `.npz` (keys, vectors, fingerprint, backend)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        keys = list(self.by_key)
        vectors = np.stack([self.by_key[k] for k in keys]) if keys else np.zeros((0, 0), dtype=np.float32)
        np.savez(path, keys=np.array(keys), vectors=vectors, fingerprint=self.fingerprint, backend=self.backend)

    @classmethod
    def load(cls, path: Path) -> ProductVectors | None:
        """The vectors saved at `path`, or None when there is no such file."""
        if not path.is_file():
            return None
        with np.load(path) as saved:
            keys = [str(k) for k in saved["keys"]]
            vectors = saved["vectors"].astype(np.float32)
            return cls(str(saved["fingerprint"]), str(saved["backend"]), dict(zip(keys, vectors, strict=True)))
