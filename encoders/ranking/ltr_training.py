"""Train the LightGBM `lambdarank` ranker on searches whose candidates are labelled (judged, or from search logs).

Labels are graded: Home Depot's judgment grades (2 highly, 1 somewhat relevant), or in search logs
purchased 2 > clicked 1 > shown 0; a candidate nobody judged or touched is 0. Training stops when the
dev searches' nDCG@10 (over their candidates) has not risen for `early_stopping` rounds, and keeps the
best round.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from encoders.arguments import ReplayableArgs
from encoders.errors import TrainingDataError
from encoders.ranking.features import FEATURES
from encoders.ranking.ltr import LtrRanker
from kernel.data import ndcg_at

__all__ = ["LtrArgs", "RankingExample", "train_ltr"]


@dataclass(frozen=True)
class RankingExample:
    """One search's candidates as feature rows, with a graded label each."""

    query_id: str
    rows: npt.NDArray[np.float64]
    labels: npt.NDArray[np.int64]


@dataclass
class LtrArgs(ReplayableArgs):
    """How the ranker is trained."""

    # Serving scores every candidate with every tree inside the API's per-search CPU: on Home Depot dev,
    # 600 rounds of 31 leaves kept 321 trees (0.85 ms per 50 candidates) for +0.003 nDCG@10 over these
    # defaults' 73 trees of 15 leaves (0.14 ms).
    learning_rate: float = field(default=0.1, metadata={"help": "Shrinkage per boosting round."})
    num_leaves: int = field(default=15, metadata={"help": "Leaves per tree."})
    min_data_in_leaf: int = field(default=20, metadata={"help": "Fewest candidates per leaf."})
    rounds: int = field(default=100, metadata={"help": "Boosting rounds at most (each adds a tree to serve)."})
    early_stopping: int = field(
        default=50, metadata={"help": "Stop after this many rounds without a better dev score."}
    )
    seed: int = field(default=13, metadata={"help": "Seed of LightGBM's sampling."})


def _dataset(examples: Sequence[RankingExample]) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64], list[int]]:
    kept = [e for e in examples if len(e.labels)]
    rows = np.vstack([e.rows for e in kept]) if kept else np.zeros((0, len(FEATURES)))
    labels = np.concatenate([e.labels for e in kept]) if kept else np.zeros(0, dtype=np.int64)
    return rows, labels, [len(e.labels) for e in kept]


def _ndcg(order: Sequence[int], labels: npt.NDArray[np.int64]) -> float:
    return ndcg_at([str(i) for i in order], {str(i): int(g) for i, g in enumerate(labels) if g > 0})


def _dev_orders(ranker: LtrRanker, dev: Sequence[RankingExample]) -> dict[str, float | None]:
    """nDCG@10 over the dev candidates in fused order (what the API serves without a ranker) and re-ranked."""
    judged = [e for e in dev if len(e.labels) and e.labels.max() > 0]
    if not judged:
        return {"ndcg@10_fused_order": None, "ndcg@10_reranked": None}
    fused = [_ndcg(range(len(e.labels)), e.labels) for e in judged]
    ranked = [_ndcg(np.argsort(-ranker.score(e.rows), kind="stable").tolist(), e.labels) for e in judged]
    return {
        "ndcg@10_fused_order": round(float(np.mean(fused)), 4),
        "ndcg@10_reranked": round(float(np.mean(ranked)), 4),
    }


def train_ltr(
    train: Sequence[RankingExample], dev: Sequence[RankingExample], args: LtrArgs, about: dict[str, Any]
) -> LtrRanker:
    """A ranker trained on `train`, its boosting stopped on `dev`; `about` (data, depth) goes into its card.

    Raises:
        TrainingDataError: no training search has a candidate labelled above 0.
    """
    import lightgbm

    rows, labels, groups = _dataset(train)
    if not len(labels) or labels.max() <= 0:
        raise TrainingDataError(
            "No training search has a relevant candidate: the first stage found none to learn from."
        )
    dev_rows, dev_labels, dev_groups = _dataset(dev)
    params = {
        "objective": "lambdarank",
        "metric": "ndcg",
        "eval_at": [10],
        "learning_rate": args.learning_rate,
        "num_leaves": args.num_leaves,
        "min_data_in_leaf": args.min_data_in_leaf,
        "feature_pre_filter": False,
        "seed": args.seed,
        "deterministic": True,
        "num_threads": 0,
        "verbosity": -1,
    }
    started = time.perf_counter()
    train_set = lightgbm.Dataset(rows, labels, group=groups, feature_name=FEATURES)
    valid = [lightgbm.Dataset(dev_rows, dev_labels, group=dev_groups, reference=train_set)] if dev_groups else []
    history: dict[str, Any] = {}
    callbacks = [lightgbm.record_evaluation(history)]
    if valid:
        callbacks.append(lightgbm.early_stopping(args.early_stopping, verbose=False))
    booster = lightgbm.train(params, train_set, args.rounds, valid_sets=valid, callbacks=callbacks)
    gains = booster.feature_importance(importance_type="gain")
    curve = history.get("valid_0", {}).get("ndcg@10", [])
    card: dict[str, Any] = {
        "features": FEATURES,
        "args": asdict(args),
        "about": about,
        "train": {"searches": len(groups), "candidates": int(len(labels)), "relevant": int((labels > 0).sum())},
        # LightGBM's own metric counts a search with nothing relevant as 1: kept as its curve's best, beside
        # aisle's nDCG over the searches that have something to find.
        "dev": {"searches": len(dev_groups), "lightgbm_ndcg@10": max(curve) if curve else None},
        "best_round": int(booster.best_iteration or booster.current_iteration()),
        "seconds": round(time.perf_counter() - started, 1),
        "feature_gain": {
            name: round(float(g), 2) for name, g in sorted(zip(FEATURES, gains, strict=True), key=lambda x: -x[1])
        },
    }
    ranker = LtrRanker(booster, card)
    card["dev"] |= _dev_orders(ranker, dev)
    if len(dev_rows):
        contributions = np.abs(ranker.contributions(dev_rows)[:, :-1]).mean(axis=0)
        card["mean_abs_contribution_on_dev"] = {
            name: round(float(v), 4)
            for name, v in sorted(zip(FEATURES, contributions, strict=True), key=lambda x: -x[1])
        }
    return ranker
