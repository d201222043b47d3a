"""`aisle rank`: the learned ranker and the cross-encoder for a model, on Home Depot's judgments or a SIMULATED log."""

from __future__ import annotations

import typer

from aisle.cli.console import err, out
from aisle.cli.options import command_from_dataclass
from aisle.ranking import CalibrationJob, RankerJob, RerankerJob

__all__ = ["app"]

app = typer.Typer(help="The learned ranking stage.", no_args_is_help=True)


def _train(job: RankerJob) -> None:
    run = job.run(err)
    card = run.ranker.card
    out.print(
        f"ranker {card['name']}: {card['train']['searches']:,} training searches, best round {card['best_round']}, "
        f"dev nDCG@10 over the candidates {card['dev']['ndcg@10_fused_order']} fused → "
        f"{card['dev']['ndcg@10_reranked']} re-ranked, {card['seconds']:.0f}s"
    )
    out.print(f"saved in {run.folder}; top features by gain: {', '.join(list(card['feature_gain'])[:5])}")
    out.print(f"replay it: aisle rank train --replay {run.folder / 'ranker_args.json'}")


def _cross_encoder(job: RerankerJob) -> None:
    run = job.run(err)
    card = run.card
    agreement = card["onnx_vs_torch"]["onnx/model_int8.onnx"]
    out.print(
        f"cross-encoder {card['name']}: dev nDCG@10 re-ranking {card['dev_ndcg@10_at_step_0']:.4f} → "
        f"{card['best_dev_ndcg@10']:.4f}; int8 vs torch: max logit difference {agreement['max_abs_logit_difference']}"
    )
    out.print(
        f"saved in {run.folder}; replay it: aisle rank cross-encoder --replay {run.folder / 'cross_encoder_args.json'}"
    )


def _calibrate(job: CalibrationJob) -> None:
    choice = job.run(err)
    out.print(choice.summary())
    out.print(f"written to {job.model / 'serving.json' if job.model else 'serving.json'}; the API reads it there")


app.command("calibrate")(
    command_from_dataclass(
        CalibrationJob,
        _calibrate,
        "Choose the first stage's BM25 weight on the dev searches and write it beside the model (serving.json).",
    )
)
app.command("train")(
    command_from_dataclass(
        RankerJob,
        _train,
        "Train the LightGBM ranker on the first stage's candidates for the training searches; stop on the dev ones.",
    )
)
app.command("cross-encoder")(
    command_from_dataclass(
        RerankerJob,
        _cross_encoder,
        "Fine-tune a cross-encoder from the base model on judged products and mined first-stage negatives; export it.",
    )
)
