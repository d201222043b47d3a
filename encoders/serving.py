"""`serving.json` in a model directory: the search defaults chosen on the dev split for what was trained there.

Training (the ranker, or `aisle eval calibrate`) writes the fusion, the BM25 weight and the depths
that scored best on dev; the API reads them for every setting its environment does not set. Kept to
plain values so that the file reads the same whichever service opens it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["SERVING_FILE", "ServingDefaults"]

SERVING_FILE = "serving.json"


@dataclass(frozen=True)
class ServingDefaults:
    """Search defaults measured for one model directory, and what they were chosen on.

    Args:
        settings: API settings by name (`default_fusion`, `lexical_weight`, `rerank_depth`, ...).
        chosen_on: The data and split they were chosen on (e.g. "home-depot-dev").
        measured: What the choice scored there, by candidate (for the record).
    """

    settings: dict[str, Any]
    chosen_on: str
    measured: dict[str, Any] = field(default_factory=dict)

    def save(self, model_dir: Path) -> Path:
        """Write `serving.json` into `model_dir`; returns its path."""
        path = model_dir / SERVING_FILE
        path.write_text(json.dumps(asdict(self), indent=2))
        return path

    def merged(self, model_dir: Path) -> ServingDefaults:
        """These defaults over the ones already saved in `model_dir` (a ranker's depth beside a calibrated weight)."""
        saved = ServingDefaults.load(model_dir)
        if saved is None:
            return self
        return ServingDefaults({**saved.settings, **self.settings}, self.chosen_on, {**saved.measured, **self.measured})

    @classmethod
    def load(cls, model_dir: Path | None) -> ServingDefaults | None:
        """The defaults saved in `model_dir`, or None when there are none."""
        path = model_dir / SERVING_FILE if model_dir is not None else None
        if path is None or not path.is_file():
            return None
        raw = json.loads(path.read_text())
        return cls(dict(raw.get("settings", {})), str(raw.get("chosen_on", "")), dict(raw.get("measured", {})))
