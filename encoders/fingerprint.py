"""What identifies an encoder's vector space, recorded in the index so mismatches are caught.

Two encoders are interchangeable for an index when model, weights, product text template and
dimension agree. The ONNX exports of a model share its fingerprint: they are derived from the same
weights (and checked to stay within cosine 0.99 of them).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

from encoders.errors import ModelNotFoundError

__all__ = ["METADATA_FILE", "EncoderFingerprint", "weights_digest"]

METADATA_FILE = "aisle-encoder.json"


@dataclass(frozen=True)
class EncoderFingerprint:
    """Model id, weights digest, product text template and vector dimension."""

    model_id: str
    weights_sha256: str
    template: str
    dimension: int

    @property
    def value(self) -> str:
        """One comparable string, e.g. `all-MiniLM-L6-v2@3f9a…/tpl:1c2d…/384`."""
        template_digest = hashlib.sha256(self.template.encode()).hexdigest()[:12]
        return f"{self.model_id}@{self.weights_sha256[:16]}/tpl:{template_digest}/{self.dimension}"

    def to_dict(self) -> dict[str, str | int]:
        """For the index `_meta` and the model card."""
        return {**asdict(self), "value": self.value}


@lru_cache(maxsize=8)
def weights_digest(model_dir: Path) -> str:
    """SHA-256 over the model's weight files (safetensors, else ONNX), cached per process.

    Raises:
        ModelNotFoundError: the directory has no weights.
    """
    recorded = model_dir / METADATA_FILE
    if recorded.is_file():
        return str(json.loads(recorded.read_text())["fingerprint"]["weights_sha256"])
    files = sorted(model_dir.glob("*.safetensors")) or sorted(model_dir.glob("*.bin"))
    if not files:
        raise ModelNotFoundError(f"{model_dir} has no model weights (*.safetensors or *.bin).")
    digest = hashlib.sha256()
    for file in files:
        with file.open("rb") as src:
            while chunk := src.read(1 << 22):
                digest.update(chunk)
    return digest.hexdigest()
