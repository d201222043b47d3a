"""What every training run shares: its result and curve, dev checkpoints, the step loop, its outputs.

The encoder fine-tuning (`training.py`) and the user tower on a frozen encoder (`user_tower_training.py`)
are two runs of this one shape: a dev checkpoint at step 0 (so a run that only hurts keeps its start),
steps until the data or the budget runs out with a checkpoint every `eval_every` steps (0: each epoch),
a last one at the end, the best kept, and `train_args.json`, curves and a model card written beside it.
"""

from __future__ import annotations

import csv
import json
import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from encoders.training_args import TrainingArgs
from kernel.data import JudgedQuery
from kernel.product import Product

__all__ = [
    "CHECKPOINT",
    "DevCheckpoints",
    "TrainingResult",
    "budget_spent",
    "dev_corpus",
    "run_epochs",
    "write_run_outputs",
]

CHECKPOINT = "checkpoint"  # the best dev checkpoint, inside the output directory

Batch = TypeVar("Batch")


@dataclass
class TrainingResult:
    """What a run did: steps, time, and dev metrics over time (`best` is the checkpoint kept).

    `train_seconds` leaves out the dev evaluations; `steps_per_epoch` lets a short run project an epoch.
    """

    steps: int = 0
    seconds: float = 0.0
    train_seconds: float = 0.0
    steps_per_epoch: int = 0
    curve: list[dict[str, float]] = field(default_factory=list)
    best: dict[str, float] = field(default_factory=dict)


def budget_spent(args: TrainingArgs, steps: int, started: float) -> bool:
    """Whether the run has used up `args.max_steps` or `args.max_minutes` (0: no limit)."""
    return bool(args.max_steps and steps >= args.max_steps) or bool(
        args.max_minutes and time.perf_counter() - started > args.max_minutes * 60
    )


@dataclass
class DevCheckpoints:
    """A run's dev checkpoints: each point on `result.curve`, the best kept, and the seconds they took.

    Args:
        result: The run's result, whose curve and best point are filled in.
        evaluate: Scores the model as it is now (dev metrics by name; {} without dev queries).
        keep: Saves the model as it is now; called when its dev nDCG@10 is the best so far.
    """

    result: TrainingResult
    evaluate: Callable[[], dict[str, float]]
    keep: Callable[[], None]
    started: float = field(default_factory=time.perf_counter)
    evaluating: float = 0.0  # seconds spent on dev checkpoints, not training
    best_score: float = -1.0

    def record(self) -> None:
        """Score the model now; keep it when its nDCG@10 is the best so far."""
        began = time.perf_counter()
        metrics = self.evaluate()
        point = {
            "step": float(self.result.steps),
            "seconds": began - self.started,
            "train_seconds": began - self.started - self.evaluating,
            **metrics,
        }
        self.result.curve.append(point)
        score = metrics.get("ndcg@10", float(self.result.steps))
        if score > self.best_score:
            self.best_score, self.result.best = score, point
            self.keep()
        self.evaluating += time.perf_counter() - began

    def finish(self) -> None:
        """Set the run's wall and training seconds."""
        self.result.seconds = time.perf_counter() - self.started
        self.result.train_seconds = self.result.seconds - self.evaluating


def run_epochs(
    epochs: Iterable[Iterable[Batch]],
    step: Callable[[Batch], float],
    checkpoints: DevCheckpoints,
    args: TrainingArgs,
    *,
    total: int,
    progress: Callable[[int, int, float], None] | None = None,
    on_epoch: Callable[[int], None] | None = None,
) -> TrainingResult:
    """Train one `step` (returning its loss) per batch, epoch by epoch, with dev checkpoints along the way.

    Stops when the batches or the budget (`max_steps`, `max_minutes`) run out; `on_epoch` is told each
    epoch as it starts (samplers reseed there).
    """
    result = checkpoints.result
    checkpoints.record()  # step 0
    for epoch, batches in enumerate(epochs):
        if budget_spent(args, result.steps, checkpoints.started):
            break
        if on_epoch is not None:
            on_epoch(epoch)
        for batch in batches:
            if budget_spent(args, result.steps, checkpoints.started):
                break
            loss = step(batch)
            result.steps += 1
            if progress:
                progress(result.steps, total, loss)
            if args.eval_every and result.steps % args.eval_every == 0:
                checkpoints.record()
        if not args.eval_every and not budget_spent(args, result.steps, checkpoints.started):
            checkpoints.record()  # 0: once per epoch
    if result.curve[-1]["step"] != result.steps:
        checkpoints.record()
    checkpoints.finish()
    return result


def dev_corpus(
    catalog: Sequence[Product], dev: Sequence[JudgedQuery], size: int, rng: random.Random
) -> Sequence[Product]:
    """The dev corpus: the whole catalog, or the judged products plus a seeded sample up to `size` (0: all)."""
    # Encoding a whole large catalog with torch at every checkpoint can outlast a short training
    # budget; the judged products plus a seeded sample of distractors rank the checkpoints alike.
    if not size or len(catalog) <= size:
        return catalog
    judged = {doc for query in dev for doc in query.grades}
    kept = [p for p in catalog if p.id in judged]
    others = [p for p in catalog if p.id not in judged]
    return kept + rng.sample(others, max(0, min(len(others), size - len(kept))))


def _plot_curve(curve: list[dict[str, float]], path: Path, title: str) -> None:
    """Dev metrics against steps, as a PNG beside curve.csv."""
    import matplotlib

    matplotlib.use("Agg")  # no display on a server
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(6, 3.5))
    steps = [point["step"] for point in curve]
    for metric in ("ndcg@10", "recall@100", "mrr"):
        if metric in curve[0]:
            axis.plot(steps, [point[metric] for point in curve], marker="o", label=f"dev {metric}")
    axis.set_xlabel("step")
    axis.set_title(f"Dev metrics during training ({title})")
    axis.grid(alpha=0.3)
    axis.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def write_run_outputs(
    args: TrainingArgs,
    result: TrainingResult,
    examples: int,
    products: int,
    *,
    loss: str,
    sampler: dict[str, Any],
    batches: dict[str, Any],
    title: str,
) -> None:
    """train_args.json, sampler.json, curve.csv/png and model_card.json of a finished run."""
    out = args.output_dir
    args.to_json(out / "train_args.json")
    (out / "sampler.json").write_text(json.dumps(sampler | {"batches": batches}, indent=2))
    with (out / "curve.csv").open("w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(result.curve[-1]))
        writer.writeheader()
        writer.writerows(result.curve)
    _plot_curve(result.curve, out / "curve.png", title)
    (out / "model_card.json").write_text(
        json.dumps(
            {
                "base": "all-MiniLM-L6-v2",
                "loss": loss,
                "sampler": sampler,
                "batches": batches,
                "examples": examples,
                "catalog": products,
                "steps": result.steps,
                "wall_seconds": round(result.seconds, 1),
                "train_seconds": round(result.train_seconds, 1),
                "steps_per_epoch": result.steps_per_epoch,
                "best_dev": result.best,
                "dev_scored_with_histories": args.personalize,
                "dev_curve_start": result.curve[0] if result.curve else {},
            },
            indent=2,
        )
    )
