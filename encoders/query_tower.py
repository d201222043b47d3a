"""A static query tower: queries become the mean of learned token vectors, products keep the transformer's.

A 2-4 word product query does not need a transformer forward pass: Model2Vec distils one vector per
token of the transformer's vocabulary, and aisle then trains those vectors so that a query's mean
lands near the **frozen** product vectors already in the index (`encoders/query_tower_training.py`).
The index, its fingerprint and the ranking stage stay as they are; only the query side changes.

The tower lives beside the model (`<model>/query-tower/`: Model2Vec's own files and a card naming the
product encoder it was trained against). A query it cannot speak for goes to the transformer:
one with no token it knows, or longer than `max_tokens` (word order and negation start to matter
there, and a mean of many tokens blurs; such queries are rare and the transformer is still loaded).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from encoders.backends import Vectors
from encoders.errors import ModelNotFoundError

__all__ = ["QUERY_TOWER_CARD", "QUERY_TOWER_DIR", "StaticQueryTower"]

QUERY_TOWER_DIR = "query-tower"  # beside the encoder, in its model directory
QUERY_TOWER_CARD = "query_tower.json"


class StaticQueryTower:
    """Token vectors averaged into unit query vectors (a Model2Vec `StaticModel`).

    Args:
        model: The Model2Vec model (its token vectors already trained).
        card: What it was distilled from, trained on and scored; `product_encoder` names the weights
            digest of the product vectors it was trained against.
        max_tokens: Longest query (in the tokenizer's tokens) it encodes; longer ones are not its.
    """

    def __init__(self, model: Any, card: dict[str, Any], max_tokens: int = 16) -> None:
        if model.token_mapping is not None or model.weights is not None:
            raise ModelNotFoundError("The query tower must hold plain token vectors (no vocabulary quantization).")
        self.model = model
        self.card = card
        self.max_tokens = max_tokens
        self.table = np.asarray(model.embedding, dtype=np.float32)

    @property
    def dimension(self) -> int:
        """Length of each vector."""
        return int(self.table.shape[1])

    def token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """Each text's known token ids, as the tower averages them (no special tokens, unknown ones dropped)."""
        ids: list[list[int]] = self.model.tokenize(list(texts))
        return ids

    def covers(self, text: str) -> bool:
        """Whether the tower speaks for this query: at least one known token and at most `max_tokens`."""
        return self._covered_ids(text) is not None

    def _covered_ids(self, text: str) -> list[int] | None:
        ids = self.token_ids([text])[0]
        return ids if 0 < len(ids) <= self.max_tokens else None

    def encode(self, texts: Sequence[str]) -> Vectors:
        """Unit vectors, one per text (a text with no known token gets zeros: check `covers` first)."""
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for i, ids in enumerate(self.token_ids(texts)):
            if ids:
                mean = self.table[ids].mean(axis=0)
                out[i] = mean / (np.linalg.norm(mean) + 1e-12)
        return out

    def encode_covered(self, text: str) -> Vectors | None:
        """The unit vector of one query, or None when the tower does not speak for it (see `covers`)."""
        ids = self._covered_ids(text)
        if ids is None:
            return None
        mean = self.table[ids].mean(axis=0)
        vector: Vectors = (mean / (np.linalg.norm(mean) + 1e-12)).astype(np.float32)
        return vector

    def save(self, folder: Path) -> None:
        """Write Model2Vec's files and the card into `folder`."""
        folder.mkdir(parents=True, exist_ok=True)
        self.model.save_pretrained(str(folder))
        (folder / QUERY_TOWER_CARD).write_text(json.dumps({**self.card, "max_tokens": self.max_tokens}, indent=2))

    @classmethod
    def beside(cls, model_dir: Path | None) -> StaticQueryTower | None:
        """The tower trained beside the encoder in `model_dir` (`<model_dir>/query-tower`), or None."""
        if model_dir is None or not (model_dir / QUERY_TOWER_DIR / QUERY_TOWER_CARD).is_file():
            return None
        return cls.load(model_dir / QUERY_TOWER_DIR)

    @classmethod
    def load(cls, folder: Path) -> StaticQueryTower:
        """The tower saved in `folder`, read from disk only.

        Raises:
            ModelNotFoundError: no tower there, or Model2Vec is not installed.
        """
        if not (folder / QUERY_TOWER_CARD).is_file():
            raise ModelNotFoundError(
                f"{folder} holds no query tower ({QUERY_TOWER_CARD}); train one with `aisle encoders query-tower`."
            )
        try:
            from model2vec import StaticModel
        except ImportError as exc:
            raise ModelNotFoundError(
                "The static query tower needs model2vec (in the `serve` extra): pip install 'aisle[serve]'."
            ) from exc
        card: dict[str, Any] = json.loads((folder / QUERY_TOWER_CARD).read_text())
        model = StaticModel.from_pretrained(str(folder))
        return cls(model, card, int(card.get("max_tokens", 16)))
