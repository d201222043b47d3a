"""`aisle train`: fine-tune on a simulated store or on Home Depot judgments, then export for serving."""

from __future__ import annotations

from aisle.cli.console import err, out
from aisle.cli.options import command_from_dataclass
from encoders.fine_tune import fine_tune
from encoders.training_args import TrainingArgs

__all__ = ["train_command"]


def _train(args: TrainingArgs) -> None:
    tuned = fine_tune(args, err)
    start, best = tuned.result.curve[0], tuned.result.best
    ndcg = f"{start.get('ndcg@10', 0):.4f} → {best.get('ndcg@10', 0):.4f}"
    recall = f"{start.get('recall@100', 0):.4f} → {best.get('recall@100', 0):.4f}"
    out.print(f"{tuned.result.steps} steps in {tuned.result.seconds:.0f}s; dev nDCG@10 {ndcg}, Recall@100 {recall}")
    out.print(f"serve it: AISLE_ENCODER_MODEL_DIR={tuned.model_dir}")
    out.print(f"replay it: aisle train --replay {args.output_dir / 'train_args.json'}")


train_command = command_from_dataclass(
    TrainingArgs,
    _train,
    "Fine-tune the encoder with MultipleNegativesRanking loss and the chosen sampler, then export it.",
)
