"""Train the cross-encoder re-ranker with sentence-transformers' `CrossEncoderTrainer`, and export it for serving.

The transformer starts from the base model's weights (all-MiniLM-L6-v2, the offline package) with a
new scoring head. Training pairs are each training query's judged products (label = grade / 2) and
negatives mined from aisle's own first stage (top candidates nobody judged relevant, label 0), so it
learns to re-order what it will be given. Dev searches re-ranked from their candidate lists pick the
best checkpoint (scored at step 0 too); the curve and a card go beside the exported model.
"""

from __future__ import annotations

import csv
import json
import random
import shutil
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from encoders.arguments import ReplayableArgs
from encoders.errors import ExportError, TrainingDataError
from encoders.export import quantize_int8
from encoders.fingerprint import weights_digest
from encoders.loading import base_model_dir
from encoders.ranking.cross_encoder import CROSS_ENCODER_CARD, ONNX_FP32, ONNX_INT8, OnnxCrossEncoder
from kernel.data import ndcg_at

__all__ = [
    "CrossEncoderArgs",
    "DevSearch",
    "Pair",
    "export_cross_encoder",
    "reranking_ndcg",
    "train_cross_encoder",
    "training_pairs",
]


@dataclass(frozen=True)
class Pair:
    """One (query, product text) training pair and its label in [0, 1]."""

    query: str
    text: str
    label: float


@dataclass(frozen=True)
class DevSearch:
    """A dev query, its first-stage candidates (id, text) in fused order, and its judgments."""

    query: str
    candidates: list[tuple[str, str]]
    grades: dict[str, int]


@dataclass
class CrossEncoderArgs(ReplayableArgs):
    """How the cross-encoder is trained."""

    negatives: int = field(default=3, metadata={"help": "Mined negatives per training query."})
    epochs: int = field(default=1, metadata={"help": "Passes over the training pairs."})
    batch_size: int = field(default=32, metadata={"help": "Pairs per step."})
    learning_rate: float = field(default=2e-5, metadata={"help": "AdamW learning rate."})
    warmup_ratio: float = field(default=0.1, metadata={"help": "Share of steps with a rising learning rate."})
    max_length: int = field(default=64, metadata={"help": "Tokens kept per (query, text) pair."})
    eval_every: int = field(default=400, metadata={"help": "Dev evaluation (and checkpoint) every N steps."})
    max_steps: int = field(default=0, metadata={"help": "Stop after N steps (0: no limit)."})
    max_minutes: float = field(default=0.0, metadata={"help": "Stop after N minutes of training (0: no limit)."})
    dev_searches: int = field(default=300, metadata={"help": "Dev searches re-ranked to choose the checkpoint."})
    seed: int = field(default=13, metadata={"help": "Seed of the pair sampling and of training."})


def training_pairs(
    searches: Sequence[tuple[str, dict[str, float], list[str]]],
    texts: dict[str, str],
    negatives: int,
    rng: random.Random,
) -> list[Pair]:
    """Pairs from (query, labels in [0, 1], first-stage candidate ids), with mined negatives.

    Every judged product is kept (the barely relevant ones are the hardest negatives there are), and
    `negatives` unjudged candidates of each search join at 0.

    Raises:
        TrainingDataError: no search has a judged product with a text and a label above 0.
    """
    pairs = []
    for query, labels, candidates in searches:
        pairs += [Pair(query, texts[p], label) for p, label in labels.items() if p in texts]
        unjudged = [c for c in candidates if c not in labels and c in texts]
        pairs += [Pair(query, texts[c], 0.0) for c in rng.sample(unjudged, min(negatives, len(unjudged)))]
    if not any(p.label > 0 for p in pairs):
        raise TrainingDataError("No training query has a judged product in the catalog: nothing to learn from.")
    rng.shuffle(pairs)
    return pairs


def reranking_ndcg(scores_of: Any, dev: Sequence[DevSearch]) -> float:
    """Mean nDCG@10 of the dev searches with each candidate list ordered by `scores_of(query, texts)`."""
    values = []
    for search in dev:
        scores = np.asarray(scores_of(search.query, [t for _, t in search.candidates]))
        ranked = [search.candidates[i][0] for i in np.argsort(-scores, kind="stable")]
        values.append(ndcg_at(ranked, search.grades))
    return float(np.mean(values)) if values else 0.0


def train_cross_encoder(
    pairs: Sequence[Pair], dev: Sequence[DevSearch], args: CrossEncoderArgs, work_dir: Path, console: Any = None
) -> tuple[Any, list[dict[str, float]]]:
    """The trained cross-encoder (its best dev checkpoint) and the dev curve (step 0 first).

    Checkpoints are kept in `work_dir` while training and removed after.
    """
    import torch
    from datasets import Dataset
    from sentence_transformers import CrossEncoder
    from sentence_transformers.base.evaluation.evaluator import BaseEvaluator
    from sentence_transformers.cross_encoder import CrossEncoderTrainer, CrossEncoderTrainingArguments
    from sentence_transformers.cross_encoder.losses import BinaryCrossEntropyLoss
    from transformers import TrainerCallback

    torch.manual_seed(args.seed)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    model = CrossEncoder(
        str(base_model_dir()), num_labels=1, max_length=args.max_length, local_files_only=True, device=device
    )

    class DevReranking(BaseEvaluator):  # the trainer's dev metric, on the dev candidates
        def __init__(self, name: str = "") -> None:
            super().__init__()  # type: ignore[no-untyped-call]
            self.name, self.primary_metric = name, "ndcg@10"

        def __call__(self, model: Any, output_path: str | None = None, epoch: int = -1, steps: int = -1) -> Any:
            def scores(query: str, texts: list[str]) -> Any:
                return model.predict([(query, t) for t in texts], batch_size=64, show_progress_bar=False)

            return self.prefix_name_to_metrics({"ndcg@10": reranking_ndcg(scores, dev)}, self.name)

    started, budget_s = time.perf_counter(), args.max_minutes * 60

    class Budget(TrainerCallback):
        def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> Any:
            if budget_s and time.perf_counter() - started > budget_s:
                control.should_training_stop = True
            return control

    curve = [{"step": 0.0, "ndcg@10": DevReranking()(model)["ndcg@10"]}]
    if console is not None:
        console.print(f"dev nDCG@10 re-ranking the candidates before training: {curve[0]['ndcg@10']:.4f}")
    data = Dataset.from_dict(
        {"query": [p.query for p in pairs], "text": [p.text for p in pairs], "label": [p.label for p in pairs]}
    )
    run_dir = work_dir
    training = CrossEncoderTrainingArguments(
        output_dir=str(run_dir),
        num_train_epochs=args.epochs,
        per_device_train_batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        warmup_steps=args.warmup_ratio,  # a float below 1 is a share of the steps (transformers 5)
        eval_strategy="steps",
        eval_steps=args.eval_every,
        save_strategy="steps",
        save_steps=args.eval_every,
        save_total_limit=1,
        load_best_model_at_end=True,
        metric_for_best_model="eval_dev_ndcg@10",
        greater_is_better=True,
        max_steps=args.max_steps or -1,
        seed=args.seed,
        logging_steps=50,
        report_to="none",
        use_cpu=device == "cpu",
    )
    trainer = CrossEncoderTrainer(
        model=model,
        args=training,
        train_dataset=data,
        loss=BinaryCrossEntropyLoss(model),
        evaluator=DevReranking(name="dev"),
        callbacks=[Budget()],
    )
    trainer.train()
    curve += [
        {"step": float(entry["step"]), "ndcg@10": float(entry["eval_dev_ndcg@10"])}
        for entry in trainer.state.log_history
        if "eval_dev_ndcg@10" in entry
    ]
    shutil.rmtree(run_dir, ignore_errors=True)
    return model, curve


# Pairs like those the API scores; the exports are checked against torch on them.
PROBE_PAIRS = [
    ("cordless drill", "20V MAX Cordless Drill/Driver Kit"),
    ("cordless drill", "50 ft. Expandable Garden Hose"),
    ("3/4 inch pvc pipe", "3/4 in. x 10 ft. PVC Pipe"),
    ("ceiling fan with light", "52 in. Ceiling Fan with LED Light Kit"),
    ("toilet flapper", "Universal Toilet Flapper"),
    ("deck stain", "Semi-Transparent Deck Stain, Cedar, 1 Gal."),
    ("garden bench", "Upholstered Storage Bench for Entryway"),
    ("led shop light", "LED Shop Light, 4 ft., 5000 Lumens"),
]


def export_cross_encoder(
    model: Any, folder: Path, about: dict[str, Any], curve: list[dict[str, float]], args: CrossEncoderArgs
) -> dict[str, Any]:
    """Write the cross-encoder for serving into `folder` (tokenizer, ONNX fp32 and int8, card); returns the card.

    Raises:
        ExportError: the ONNX export or its quantization failed.
    """
    import torch

    staging = folder.with_name(folder.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    (staging / "onnx").mkdir(parents=True)
    model.save(str(staging / "torch"))
    model.tokenizer.save_pretrained(str(staging))
    transformer = model[0].auto_model.eval()

    class Logits(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.transformer(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).logits

    names = ["input_ids", "attention_mask", "token_type_ids"]
    sample = model.tokenizer(
        [p[0] for p in PROBE_PAIRS[:2]], [p[1] for p in PROBE_PAIRS[:2]], padding=True, return_tensors="pt"
    )
    try:
        import warnings

        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                Logits(),
                tuple(sample[n] for n in names),
                str(staging / ONNX_FP32),
                input_names=names,
                output_names=["logits"],
                dynamic_axes={n: {0: "batch", 1: "tokens"} for n in names} | {"logits": {0: "batch"}},
                opset_version=17,
                dynamo=False,
            )
        quantize_int8(staging / ONNX_FP32, staging / ONNX_INT8)
    except Exception as exc:  # torch.onnx and onnxruntime raise many unrelated types
        shutil.rmtree(staging, ignore_errors=True)
        raise ExportError(f"Exporting the cross-encoder to ONNX failed: {type(exc).__name__}: {exc}") from exc
    with torch.no_grad():
        reference = np.asarray(model.predict(PROBE_PAIRS, activation_fn=torch.nn.Identity(), show_progress_bar=False))
    card = {
        "name": f"cross-encoder-{about.get('data', 'catalog')}",
        "base": "all-MiniLM-L6-v2",
        "args": {k: str(v) if isinstance(v, Path) else v for k, v in asdict(args).items()},
        "about": about,
        "weights_sha256": weights_digest(staging / "torch"),
        "curve": curve,
        "best_dev_ndcg@10": max(point["ndcg@10"] for point in curve),
        "dev_ndcg@10_at_step_0": curve[0]["ndcg@10"],
    }
    (staging / CROSS_ENCODER_CARD).write_text(json.dumps(card, indent=2))
    agreement = {}
    for int8, name in ((False, ONNX_FP32), (True, ONNX_INT8)):
        exported = OnnxCrossEncoder(staging, int8=int8, max_length=args.max_length)
        scores = np.concatenate([exported.score(q, [t]) for q, t in PROBE_PAIRS])
        agreement[name] = {
            "max_abs_logit_difference": round(float(np.max(np.abs(scores - reference))), 4),
            "same_order": bool((np.argsort(scores) == np.argsort(reference)).all()),
        }
    card["onnx_vs_torch"] = agreement
    (staging / CROSS_ENCODER_CARD).write_text(json.dumps(card, indent=2))
    with (staging / "curve.csv").open("w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=["step", "ndcg@10"])
        writer.writeheader()
        writer.writerows(curve)
    shutil.rmtree(folder, ignore_errors=True)
    staging.rename(folder)
    return card
