"""The cross-encoder at serving time: (query, product text) pairs → relevance scores, with ONNX Runtime.

The model is exported by `cross_encoder_training.export_cross_encoder` into `<model>/cross-encoder/`:
the tokenizer, `onnx/model.onnx` and `onnx/model_int8.onnx` (the transformer with its new scoring
head; the output is the raw logit), and `cross-encoder.json` (fingerprint, how it agrees with torch,
the dev scores it was chosen on).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from encoders.backends import load_tokenizer, onnx_feeds, onnx_session
from encoders.errors import ModelNotFoundError

__all__ = ["CROSS_ENCODER_CARD", "CROSS_ENCODER_DIR", "OnnxCrossEncoder", "candidate_text"]

CROSS_ENCODER_DIR = "cross-encoder"  # beside the encoder, in its model directory
CROSS_ENCODER_CARD = "cross-encoder.json"
ONNX_FP32 = "onnx/model.onnx"
ONNX_INT8 = "onnx/model_int8.onnx"


def candidate_text(title: str, brand: str | None = None) -> str:
    """A product as the cross-encoder reads it, at training and serving alike: its title, then its brand."""
    return f"{title} | {brand}" if brand else title


class OnnxCrossEncoder:
    """Scores (query, text) pairs with the exported cross-encoder.

    Args:
        folder: The exported cross-encoder (`<model>/cross-encoder`).
        int8: Run the int8 model (faster) rather than fp32.
        max_length: Tokens kept per pair.
        threads: ONNX Runtime threads per call (0: one per core).
    """

    def __init__(self, folder: Path, int8: bool = True, max_length: int = 64, threads: int = 0) -> None:
        onnx_file = folder / (ONNX_INT8 if int8 else ONNX_FP32)
        for path in (onnx_file, folder / "tokenizer.json", folder / CROSS_ENCODER_CARD):
            if not path.is_file():
                raise ModelNotFoundError(
                    f"{path} is missing: export the cross-encoder with `aisle rank cross-encoder`."
                )
        self.card: dict[str, Any] = json.loads((folder / CROSS_ENCODER_CARD).read_text())
        self._tokenizer = load_tokenizer(folder / "tokenizer.json", max_length)
        self._session = onnx_session(onnx_file, threads)
        self._inputs = {i.name for i in self._session.get_inputs()}

    @classmethod
    def beside(cls, model_dir: Path | None, **kwargs: Any) -> OnnxCrossEncoder | None:
        """The cross-encoder exported beside the encoder in `model_dir`, or None when there is none."""
        if model_dir is None or not (model_dir / CROSS_ENCODER_DIR / CROSS_ENCODER_CARD).is_file():
            return None
        return cls(model_dir / CROSS_ENCODER_DIR, **kwargs)

    def score(self, query: str, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """One relevance score (a logit: higher is more relevant) per text, for `query`."""
        if not texts:
            return np.zeros(0, dtype=np.float32)
        feeds = onnx_feeds(self._tokenizer.encode_batch([(query, text) for text in texts]))
        (logits,) = self._session.run(None, {k: v for k, v in feeds.items() if k in self._inputs})
        scores: npt.NDArray[np.float32] = np.asarray(logits, dtype=np.float32).reshape(len(texts), -1)[:, 0]
        return scores
