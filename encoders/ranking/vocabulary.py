"""The catalog's token weights: inverse document frequencies over its titles, saved beside the ranker."""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from encoders.ranking.features import tokens

__all__ = ["VOCABULARY_FILE", "inverse_document_frequencies", "load_vocabulary", "save_vocabulary"]

VOCABULARY_FILE = "vocabulary.json"


def inverse_document_frequencies(titles: Iterable[str], min_count: int = 2) -> dict[str, float]:
    """Smoothed IDF of every token found in at least `min_count` titles (rarer ones weigh as the rarest)."""
    counts: Counter[str] = Counter()
    documents = 0
    for title in titles:
        documents += 1
        counts.update(set(tokens(title)))
    return {t: round(math.log((documents + 1) / (n + 1)) + 1, 4) for t, n in counts.items() if n >= min_count}


def save_vocabulary(folder: Path, idf: dict[str, float]) -> None:
    """Write `vocabulary.json` into `folder`."""
    (folder / VOCABULARY_FILE).write_text(json.dumps(idf, sort_keys=True))


def load_vocabulary(folder: Path) -> dict[str, float]:
    """The weights saved in `folder` ({} when there are none)."""
    path = folder / VOCABULARY_FILE
    return json.loads(path.read_text()) if path.is_file() else {}
