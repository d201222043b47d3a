"""The second stage: a cross-encoder and/or the learned ranker re-order the fused top candidates, or step aside.

It runs on the `rerank_depth` best fused candidates of a hybrid search. With a cross-encoder, the
first `cross_encoder_depth` of them are scored by it; with a learned ranker, every candidate gets the
features `encoders.ranking.features` computes (the same at training, the cross-encoder's score among
them when the ranker was trained with one) and the ranker's score orders them. With a cross-encoder
alone, its scores order the candidates it scored, ahead of the rest in fused order.

It fails open: a model that raises, or a stage slower than `budget_ms`, leaves the fused order in
place and the response says why; a search never fails, or comes back empty, because of it.
"""

from __future__ import annotations

import json
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from encoders.ranking import FEATURES, Candidate, LtrRanker, Taste, features
from encoders.ranking.cross_encoder import OnnxCrossEncoder, candidate_text
from query_api.schemas import RankingOutcome

__all__ = ["RankingStage", "Reranked"]

log = logging.getLogger("aisle.api")


@dataclass(frozen=True)
class Reranked:
    """What the stage did with one search's candidates."""

    order: list[str]
    outcome: RankingOutcome
    reason: str
    seconds: float = 0.0
    scores: dict[str, float] = field(default_factory=dict)
    cross_encoder_scores: dict[str, float] = field(default_factory=dict)
    contributions: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def applied(self) -> bool:
        """Whether the order is the stage's own."""
        return self.outcome is RankingOutcome.APPLIED


class RankingStage:
    """Re-orders candidates with the models it holds, failing open.

    Args:
        ranker: The learned ranker (None: none).
        cross_encoder: The cross-encoder (None: none). A ranker trained without its score ignores it.
        budget_ms: Longest the stage may take before its order is dropped for the fused one.
        cross_encoder_depth: Candidates the cross-encoder scores, from the top of the fused order.
    """

    def __init__(
        self,
        ranker: LtrRanker | None,
        budget_ms: float,
        cross_encoder: OnnxCrossEncoder | None = None,
        cross_encoder_depth: int = 20,
    ) -> None:
        self.ranker = ranker
        self.cross_encoder = cross_encoder if ranker is None or ranker.uses_cross_encoder else None
        self.budget_s = budget_ms / 1000
        self.cross_encoder_depth = cross_encoder_depth
        if self.ranker is not None:
            # Compiling the trees (or loading them compiled) takes up to a second: before the warm-up,
            # whose time is judged against the budget like any search's.
            _ = self.ranker.compiled
        if self.ready:
            # The first calls into LightGBM and ONNX Runtime allocate: pay for that now, not in a search,
            # and with no budget, which is a search's (a slow warm-up is no search over budget).
            self.budget_s = math.inf
            try:
                self.rerank("warm up", [Candidate("warm-up", "warm up")], explain=True)
            finally:
                self.budget_s = budget_ms / 1000

    @property
    def ready(self) -> bool:
        """Whether there is a model to re-rank with."""
        return self.ranker is not None or self.cross_encoder is not None

    @property
    def model(self) -> str | None:
        """What re-ranks, as the response names it."""
        names = [str(m.card.get("name")) for m in (self.cross_encoder, self.ranker) if m is not None]
        return " + ".join(names) or None

    def rerank(
        self, text: str, candidates: Sequence[Candidate], explain: bool = False, taste: Taste | None = None
    ) -> Reranked:
        """The candidates' order by the models' scores, or their own order when they cannot give one in time.

        `taste` is the shopper's history (None: anonymous or no history), for the affinity features.
        """
        fused_order = [c.id for c in candidates]
        if not self.ready:
            return Reranked(fused_order, RankingOutcome.NOT_LOADED, "no ranker is loaded")
        if not candidates:
            return Reranked(fused_order, RankingOutcome.NO_CANDIDATES, "no candidates")
        started = time.perf_counter()
        try:
            scored, ce_scores = self._cross_encode(text, candidates)
            if self.ranker is not None:
                rows = features(self.ranker.context(text, taste), scored)
                scores = self.ranker.score(rows)
                contributions = self.ranker.contributions(rows) if explain else None
            else:
                # Scored candidates first, by score; the rest after them in fused order.
                scores = np.array([ce_scores.get(c.id, -np.inf) for c in scored])
                contributions = None
        except Exception as exc:  # the fail-open boundary: any failure of a model leaves the fused order
            log.warning(json.dumps({"event": "ranker_failed", "error": f"{type(exc).__name__}: {exc}"}))
            return Reranked(
                fused_order, RankingOutcome.FAILED, f"the ranker failed ({type(exc).__name__}); fused order kept"
            )
        seconds = time.perf_counter() - started
        if seconds > self.budget_s:
            log.warning(json.dumps({"event": "ranker_over_budget", "ms": round(seconds * 1000, 2)}))
            return Reranked(
                fused_order,
                RankingOutcome.OVER_BUDGET,
                f"the ranker took {seconds * 1000:.1f} ms, over its {self.budget_s * 1000:.0f} ms budget; fused "
                "order kept",
                seconds,
            )
        # Stable: equal scores keep the fused order.
        order = [fused_order[i] for i in np.argsort(-scores, kind="stable").tolist()]
        by_id = dict(zip(fused_order, scores.tolist(), strict=True))
        if not np.isfinite(scores).all():  # the candidates the cross-encoder alone did not score
            by_id = {i: s for i, s in by_id.items() if math.isfinite(s)}
        shares: dict[str, dict[str, float]] = {}
        if contributions is not None:
            names = [*FEATURES, "expected_value"]
            for c, row in zip(candidates, contributions, strict=True):
                shares[c.id] = {n: float(v) for n, v in zip(names, row, strict=True) if v}
        return Reranked(order, RankingOutcome.APPLIED, f"re-ranked by {self.model}", seconds, by_id, ce_scores, shares)

    def _cross_encode(self, text: str, candidates: Sequence[Candidate]) -> tuple[Sequence[Candidate], dict[str, float]]:
        if self.cross_encoder is None:
            return candidates, {}
        top = candidates[: self.cross_encoder_depth]
        logits = self.cross_encoder.score(text, [candidate_text(c.title, c.brand) for c in top])
        scores = {c.id: float(s) for c, s in zip(top, logits, strict=True)}
        return [replace(c, cross_encoder_score=scores.get(c.id)) for c in candidates], scores
