"""A LightGBM `lambdarank` model over the candidate features: trained on judged or logged searches, served in-process.

The model is LightGBM's own text format (`ranker.txt`) beside a card (`ranker.json`: the features in
order, how it was trained, what it scored on dev), the catalog's token weights and, when it was trained
with one, the query log of its training searches (`query_log.json.gz`). Serving scores a search's
candidates in one `predict` call, on the trees compiled to machine code by lleaves when it is installed
(one compile per model file, cached by its SHA-256; LightGBM's own `predict` otherwise); `contributions`
gives each feature's share of each score (LightGBM's TreeSHAP, `pred_contrib`), which add up to the
score with the model's expected value.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from encoders.errors import ModelNotFoundError
from encoders.ranking.features import FEATURES, Lexicon, QueryContext, Taste
from encoders.ranking.query_log import QUERY_LOG_FILE, QueryLog
from encoders.ranking.vocabulary import load_vocabulary, save_vocabulary

__all__ = ["RANKER_CARD", "RANKER_DIR", "RANKER_FILE", "LtrRanker"]

log = logging.getLogger("aisle.ranking")

RANKER_DIR = "ranker"  # beside the encoder, in its model directory
RANKER_FILE = "ranker.txt"
RANKER_CARD = "ranker.json"


@dataclass
class LtrRanker:
    """A trained ranker and its card.

    Args:
        booster: The LightGBM booster.
        card: What it was trained on and with (`features` lists its inputs in order).
        idf: The catalog's token weights the features read.
        source: The model file it was loaded from (None: trained in this process), which serving compiles.
        log: The past searches the `log_match` feature reads (None: trained without a query log).
    """

    booster: Any
    card: dict[str, Any]
    idf: dict[str, float] = field(default_factory=dict)
    source: Path | None = None
    log: QueryLog | None = None

    @property
    def features(self) -> list[str]:
        """The feature names, in the model's order."""
        return list(self.card["features"])

    @cached_property
    def rarest(self) -> float:
        """What a token the vocabulary does not know weighs: as much as its rarest known one."""
        return max(self.idf.values(), default=1.0)

    @cached_property
    def lexicon(self) -> Lexicon:
        """The vocabulary's words, for the near-miss feature."""
        return Lexicon(self.idf)

    def context(self, text: str, taste: Taste | None = None) -> QueryContext:
        """The query as the features read it, with this ranker's token weights."""
        return QueryContext(text, taste, self.idf, self.rarest, self.lexicon, self.log)

    @property
    def uses_cross_encoder(self) -> bool:
        """Whether it was trained with the cross-encoder's score as a feature (so serving must compute it)."""
        return bool(self.card.get("cross_encoder"))

    @property
    def cross_encoder_depth(self) -> int | None:
        """How many top candidates had a cross-encoder score at training (None: it used none)."""
        found = self.card.get("cross_encoder") or {}
        return int(found["depth"]) if "depth" in found else None

    @cached_property
    def compiled(self) -> Any | None:
        """The trees as machine code (an lleaves model), or None: not installed, no model file, or it failed."""
        if self.source is None:
            return None
        try:
            import lleaves
        except ImportError:
            return None
        import platformdirs

        digest = hashlib.sha256(self.source.read_bytes()).hexdigest()[:16]
        cache = Path(platformdirs.user_cache_dir("aisle")) / "rankers" / f"{digest}.so"
        try:
            model = lleaves.Model(model_file=str(self.source))
            if cache.is_file():
                model.compile(cache=str(cache))
            else:
                # Compiled under a private name and renamed, so a process starting beside this one never
                # loads half a file.
                cache.parent.mkdir(parents=True, exist_ok=True)
                partial = cache.with_suffix(f".{os.getpid()}.partial")
                model.compile(cache=str(partial))
                os.replace(partial, cache)
        except Exception as exc:  # a compiler problem costs speed, never the ranking
            log.warning(json.dumps({"event": "ranker_not_compiled", "error": f"{type(exc).__name__}: {exc}"}))
            return None
        return model

    def score(self, rows: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """One score per row (higher ranks first)."""
        compiled = self.compiled
        found = compiled.predict(rows, n_jobs=1) if compiled is not None else self.booster.predict(rows, num_threads=1)
        scores: npt.NDArray[np.float64] = np.asarray(found, dtype=np.float64)
        return scores

    def contributions(self, rows: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Per row, each feature's contribution and (last column) the expected value: they sum to the score."""
        values: npt.NDArray[np.float64] = np.asarray(
            self.booster.predict(rows, pred_contrib=True, num_threads=1), dtype=np.float64
        )
        return values

    def save(self, folder: Path) -> None:
        """Write `ranker.txt` and `ranker.json` into `folder`."""
        folder.mkdir(parents=True, exist_ok=True)
        self.booster.save_model(str(folder / RANKER_FILE))
        (folder / RANKER_CARD).write_text(json.dumps(self.card, indent=2))
        save_vocabulary(folder, self.idf)
        if self.log is not None:
            self.log.save(folder)
        else:  # a log left by an earlier ranker in this folder is not this one's
            (folder / QUERY_LOG_FILE).unlink(missing_ok=True)

    @classmethod
    def beside(cls, model_dir: Path | None) -> LtrRanker | None:
        """The ranker trained beside the encoder in `model_dir` (`<model_dir>/ranker`), or None when there is none."""
        if model_dir is None or not (model_dir / RANKER_DIR / RANKER_CARD).is_file():
            return None
        return cls.load(model_dir / RANKER_DIR)

    @classmethod
    def load(cls, folder: Path) -> LtrRanker:
        """The ranker saved in `folder`.

        Raises:
            ModelNotFoundError: the folder holds no ranker, or one trained on other features.
        """
        import lightgbm

        if not (folder / RANKER_FILE).is_file() or not (folder / RANKER_CARD).is_file():
            raise ModelNotFoundError(f"{folder} holds no ranker ({RANKER_FILE} and {RANKER_CARD}); train one first.")
        card = json.loads((folder / RANKER_CARD).read_text())
        if card.get("features") != FEATURES:
            raise ModelNotFoundError(
                f"The ranker in {folder} was trained on other features than this aisle computes; retrain it."
            )
        source = folder / RANKER_FILE
        idf = load_vocabulary(folder)
        return cls(lightgbm.Booster(model_file=str(source)), card, idf, source, QueryLog.load(folder, idf))
