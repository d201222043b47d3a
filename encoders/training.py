"""Fine-tune the two-tower encoder with MultipleNegativesRanking loss and a chosen negative sampler.

Each step: a batch of (query, purchased/relevant product) pairs with no product twice and no
false negative (random or taxonomy-grouped, `encoders/samplers/batches.py`), the
sampler's hard negatives as extra columns, MNRL over in-batch plus hard negatives. Dev metrics
(nDCG@10, Recall@100 over the full corpus) are computed every `eval_every` steps and the best
checkpoint is kept; curves go to CSV, and the model card records data, sampler, steps and time.
"""

from __future__ import annotations

import csv
import json
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from encoders.backends import TorchTextEncoder
from encoders.errors import TrainingDataError
from encoders.evaluation import corpus_metrics
from encoders.losses import PADDING, StagedRankingLoss
from encoders.samplers import (
    AnceSampler,
    BatchPlanner,
    BM25Sampler,
    InBatchSampler,
    NegativeSampler,
    RandomBatches,
    RandomSampler,
    StagedSampler,
    TaxonomyBatches,
    TaxonomySampler,
    TrainingExample,
)
from encoders.samplers.staged import PURCHASED
from encoders.text import ProductTextTemplate
from encoders.training_args import Batching, NegativeStrategy, TrainingArgs
from encoders.user_tower import USER_GATE_FILE, RecencyPoolingTower
from kernel.data import JudgedQuery
from kernel.product import Product

if TYPE_CHECKING:
    from encoders.histories import Purchase

__all__ = [
    "CHECKPOINT",
    "TrainingResult",
    "build_batches",
    "build_sampler",
    "dev_corpus",
    "evaluate",
    "train",
    "write_run_outputs",
]

CHECKPOINT = "checkpoint"  # the best dev checkpoint, inside the output directory

AnceEncode = Callable[[Sequence[str]], Any]
# (query vectors, their queries) → the vectors fused with each searcher's user vector
PersonalizeQueries = Callable[[Any, Sequence[JudgedQuery]], Any]


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
    """A run's dev checkpoints: each point on `result.curve`, the best kept, and the seconds they took."""

    result: TrainingResult
    started: float
    evaluating: float = 0.0  # seconds spent on dev checkpoints, not training
    best_score: float = -1.0

    def record(self, evaluate: Callable[[], dict[str, float]], keep: Callable[[], None]) -> None:
        """Score the model now with `evaluate`; call `keep` when its nDCG@10 is the best so far."""
        began = time.perf_counter()
        metrics = evaluate()
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
            keep()
        self.evaluating += time.perf_counter() - began

    def finish(self) -> None:
        """Set the run's wall and training seconds."""
        self.result.seconds = time.perf_counter() - self.started
        self.result.train_seconds = self.result.seconds - self.evaluating


def build_sampler(
    args: TrainingArgs, catalog: Sequence[Product], template: ProductTextTemplate, encode: AnceEncode
) -> NegativeSampler:
    """The sampler `args.sampler` names; `encode` is the model being trained (ANCE mines with it)."""
    match args.sampler:
        case NegativeStrategy.IN_BATCH:
            return InBatchSampler(args.seed)
        case NegativeStrategy.RANDOM:
            return RandomSampler(catalog, args.seed)
        case NegativeStrategy.BM25:
            return BM25Sampler(catalog, template.render, args.seed, depth=args.mined_depth)
        case NegativeStrategy.ANCE:
            return AnceSampler(
                catalog,
                template.render,
                encode,
                args.seed,
                refresh_every=args.ance_refresh_every,
                pool_size=args.ance_pool,
                depth=args.mined_depth,
            )
        case NegativeStrategy.MMSE:
            return StagedSampler(catalog, args.seed)
        case NegativeStrategy.TB_HNS:
            return TaxonomySampler(catalog, args.seed, sibling_share=args.sibling_share)


def evaluate(
    encoder: TorchTextEncoder,
    template: ProductTextTemplate,
    catalog: Sequence[Product],
    queries: Sequence[JudgedQuery],
    personalize: PersonalizeQueries | None = None,
) -> dict[str, float]:
    """Full-corpus metrics of `encoder` on `queries`; with `personalize`, of the query vectors it returns."""
    product_vectors = encoder.encode([template.render(p) for p in catalog])
    query_vectors = encoder.encode([q.text for q in queries])
    if personalize is not None:
        query_vectors = personalize(query_vectors, queries)
    return corpus_metrics(query_vectors, product_vectors, [p.id for p in catalog], queries)


def build_batches(args: TrainingArgs) -> BatchPlanner:
    """The batch planner `args.batching` names."""
    return TaxonomyBatches(args.taxonomy_run) if args.batching is Batching.TAXONOMY else RandomBatches()


def train(
    base_model: Path,
    examples: Sequence[TrainingExample],
    catalog: Sequence[Product],
    dev: Sequence[JudgedQuery],
    args: TrainingArgs,
    template: ProductTextTemplate,
    progress: Callable[[int, int, float], None] | None = None,
    histories: dict[str, list[Purchase]] | None = None,
) -> TrainingResult:
    """Fine-tune `base_model` and save the best dev checkpoint to `args.output_dir`.

    With `args.personalize`, `histories` (shopper → purchases) feed the user tower, trained with it.
    """
    import numpy as np
    import torch
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

    from encoders.histories import user_vectors
    from encoders.personalization import PersonalizedRankingLoss, UserGate

    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    encoder = TorchTextEncoder(base_model, max_seq_length=args.max_seq_length, batch_size=128)
    model = encoder.model

    def encode_now(texts: Sequence[str]) -> Any:
        # ANCE mines with the model as it is at this step; encode() leaves it in eval mode.
        vectors = encoder.encode(texts)
        model.train()
        return vectors

    sampler = build_sampler(args, catalog, template, encode_now)
    staged = isinstance(sampler, StagedSampler) and args.ranking_weight > 0
    loss_fn: Any = (
        StagedRankingLoss(model, args.scale, args.ranking_margin, args.ranking_weight)
        if staged
        else MultipleNegativesRankingLoss(model, scale=args.scale)
    )
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.learning_rate)
    gate: UserGate | None = None
    users: dict[str, Any] = {}
    personalized: PersonalizeQueries | None = None
    if args.personalize:
        if staged:
            raise TrainingDataError("--personalize trains with MNRL; it cannot be combined with --ranking-weight.")
        if not histories:
            raise TrainingDataError(
                "--personalize needs purchase histories: train on a simulated store (its events.jsonl)."
            )
        gate = UserGate(encoder.dimension, args.gate_max_weight)
        optimizer.add_param_group({"params": list(gate.parameters()), "lr": args.gate_learning_rate})
        loss_fn = PersonalizedRankingLoss(model, gate, args.scale)
        by_id = {p.id: p for p in catalog}
        tower = RecencyPoolingTower(args.history_half_life_days)
        known = {u: [p for p in h if p.product_id in by_id] for u, h in histories.items()}

        def refresh_users() -> None:
            # Histories are pooled from the model being trained, as the indexer will pool them from the served one.
            users.clear()
            users.update(
                user_vectors(known, lambda ids: encoder.encode([template.render(by_id[i]) for i in ids]), tower)
            )
            model.train()

        def user_labels(batch: list[TrainingExample]) -> Any:
            zero = np.zeros(encoder.dimension, dtype=np.float32)
            rows = [users.get(e.user_id or "", zero) if rng.random() >= args.history_dropout else zero for e in batch]
            return torch.tensor(np.stack(rows))

        def personalized(vectors: Any, queries: Sequence[JudgedQuery]) -> Any:
            # Dev is scored as the API serves it: each searcher's history through the gate (cold: plain query).
            assert gate is not None
            zero = np.zeros(encoder.dimension, dtype=np.float32)
            rows = np.stack([users.get(q.user_id or "", zero) for q in queries])
            with torch.no_grad():
                return gate(torch.as_tensor(vectors), torch.as_tensor(rows)).numpy()

    planner = build_batches(args)
    plan = [planner.plan(examples, args.batch_size, random.Random(args.seed + e)) for e in range(args.epochs)]
    total = sum(len(b) for b in plan) if not args.max_steps else min(args.max_steps, sum(len(b) for b in plan))
    warmup = max(int(total * args.warmup_ratio), 1)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min((step + 1) / warmup, max(0.0, (total - step) / max(total - warmup, 1)))
    )
    result = TrainingResult(steps_per_epoch=len(plan[0]) if plan else 0)
    started = time.perf_counter()
    checkpoints = DevCheckpoints(result, started)
    corpus = dev_corpus(catalog, dev, args.eval_products, random.Random(args.seed))

    def evaluate_now() -> dict[str, float]:
        if gate is not None:
            refresh_users()
        model.eval()
        metrics = evaluate(encoder, template, corpus, dev, personalized) if dev else {}
        model.train()
        return metrics

    def keep() -> None:
        model.save(str(args.output_dir / CHECKPOINT))
        if gate is not None:
            (args.output_dir / CHECKPOINT / USER_GATE_FILE).write_text(json.dumps(gate.to_learned_gate().to_dict()))

    def checkpoint() -> None:
        checkpoints.record(evaluate_now, keep)

    args.output_dir.mkdir(parents=True, exist_ok=True)
    checkpoint()  # step 0: the base model, so a run that only hurts keeps the base
    model.train()
    for epoch, batches in enumerate(plan):
        sampler.set_epoch(epoch)
        for batch in batches:
            if budget_spent(args, result.steps, started):
                break
            if staged:
                assert isinstance(sampler, StagedSampler)
                columns, labels = _staged_columns(batch, sampler, args.negatives, template, catalog, rng)
            else:
                columns = _columns(batch, sampler, args.negatives, template, catalog, rng)
                labels = user_labels(batch) if gate is not None else torch.empty(0)
            features = [_to_device(model.preprocess(column), model.device) for column in columns]
            loss = loss_fn(features, labels)
            loss.backward()
            torch.nn.utils.clip_grad_norm_([p for group in optimizer.param_groups for p in group["params"]], 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            result.steps += 1
            if progress:
                progress(result.steps, total, float(loss.detach()))
            if args.eval_every and result.steps % args.eval_every == 0:
                checkpoint()
    if not result.curve or result.curve[-1]["step"] != result.steps:
        checkpoint()
    checkpoints.finish()
    loss = f"MultipleNegativesRanking (scale {args.scale})"
    if staged:
        ranking = f"{args.ranking_weight} × stage ranking (margin {args.ranking_margin})"
        loss = f"MMSE retrieval (scale {args.scale}) + {ranking}"
    write_run_outputs(
        args,
        result,
        len(examples),
        len(catalog),
        loss=loss,
        sampler=sampler.get_config_dict(),
        batches=planner.get_config_dict(),
        title=f"{sampler.name}, {planner.name} batches, seed {args.seed}",
    )
    return result


def _columns(
    batch: list[TrainingExample],
    sampler: NegativeSampler,
    k: int,
    template: ProductTextTemplate,
    catalog: Sequence[Product],
    rng: random.Random,
) -> list[list[str]]:
    """Text columns for MNRL: queries, positives, then one column per hard negative."""
    negatives = sampler.sample(batch, k)
    columns = [[e.query for e in batch], [template.render(e.positive) for e in batch]]
    if k and any(negatives):
        for j in range(k):
            # A short list is topped up with a random catalog product so every column is full.
            columns.append(
                [template.render(n[j] if j < len(n) else catalog[rng.randrange(len(catalog))]) for n in negatives]
            )
    return columns


def _staged_columns(
    batch: list[TrainingExample],
    sampler: StagedSampler,
    k: int,
    template: ProductTextTemplate,
    catalog: Sequence[Product],
    rng: random.Random,
) -> tuple[list[list[str]], Any]:
    """Text columns for the staged loss (queries, purchased, staged products) and each product's stage."""
    import torch

    staged = sampler.staged(batch, k)
    width = max(len(row) for row in staged)
    columns = [[e.query for e in batch], [template.render(e.positive) for e in batch]]
    labels = [[PURCHASED] + [stage for _, stage in row] + [PADDING] * (width - len(row)) for row in staged]
    for j in range(width):
        columns.append(
            [template.render(row[j][0] if j < len(row) else catalog[rng.randrange(len(catalog))]) for row in staged]
        )
    return columns, torch.tensor(labels)


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


def _to_device(features: dict[str, Any], device: Any) -> dict[str, Any]:
    return {k: v.to(device) if hasattr(v, "to") else v for k, v in features.items()}


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
