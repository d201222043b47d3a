"""Fine-tune the two-tower encoder with MultipleNegativesRanking loss and a chosen negative sampler.

Each step: a batch of (query, purchased/relevant product) pairs with no product twice and no
false negative (random or taxonomy-grouped, `encoders/samplers/batches.py`), the
sampler's hard negatives as extra columns, MNRL over in-batch plus hard negatives. Dev metrics
(nDCG@10, Recall@100 over the full corpus) are computed every `eval_every` steps and the best
checkpoint is kept; curves go to CSV, and the model card records data, sampler, steps and time.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from encoders.backends import TorchTextEncoder
from encoders.errors import TrainingDataError
from encoders.evaluation import corpus_metrics
from encoders.losses import PADDING, StagedRankingLoss
from encoders.runs import CHECKPOINT, DevCheckpoints, TrainingResult, dev_corpus, run_epochs, write_run_outputs
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

__all__ = ["build_batches", "build_sampler", "evaluate", "train"]

AnceEncode = Callable[[Sequence[str]], Any]
# (query vectors, their queries) → the vectors fused with each searcher's user vector
PersonalizeQueries = Callable[[Any, Sequence[JudgedQuery]], Any]


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


class _Personalization:
    """The user tower trained with the encoder: the gate, its users' vectors, and how batches and dev use them."""

    def __init__(
        self,
        encoder: TorchTextEncoder,
        args: TrainingArgs,
        catalog: Sequence[Product],
        template: ProductTextTemplate,
        histories: dict[str, list[Purchase]],
        rng: random.Random,
    ) -> None:
        from encoders.personalization import UserGate

        self.gate = UserGate(encoder.dimension, args.gate_max_weight)
        self._encoder, self._args, self._template, self._rng = encoder, args, template, rng
        self._by_id = {p.id: p for p in catalog}
        self._known = {u: [p for p in h if p.product_id in self._by_id] for u, h in histories.items()}
        self._users: dict[str, Any] = {}

    def refresh(self) -> None:
        """Pool every history with the model as it is now, as the indexer will with the served one."""
        from encoders.histories import user_vectors

        encode = self._encoder.encode
        tower = RecencyPoolingTower(self._args.history_half_life_days)
        self._users = user_vectors(
            self._known, lambda ids: encode([self._template.render(self._by_id[i]) for i in ids]), tower
        )
        self._encoder.model.train()

    def labels(self, batch: list[TrainingExample]) -> Any:
        """Each example's user vector, zeroed with probability `history_dropout` (what cold shoppers get)."""
        import numpy as np
        import torch

        zero = np.zeros(self._encoder.dimension, dtype=np.float32)
        dropout = self._args.history_dropout
        rows = [self._users.get(e.user_id or "", zero) if self._rng.random() >= dropout else zero for e in batch]
        return torch.tensor(np.stack(rows))

    def personalize(self, vectors: Any, queries: Sequence[JudgedQuery]) -> Any:
        """Dev query vectors as the API serves them: each searcher's history through the gate (cold: as is)."""
        import numpy as np
        import torch

        zero = np.zeros(self._encoder.dimension, dtype=np.float32)
        rows = np.stack([self._users.get(q.user_id or "", zero) for q in queries])
        with torch.no_grad():
            return self.gate(torch.as_tensor(vectors), torch.as_tensor(rows)).numpy()


def _loss(args: TrainingArgs, model: Any, staged: bool, personal: _Personalization | None) -> tuple[Any, str]:
    """The loss a run trains with, and how the model card names it."""
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

    from encoders.personalization import PersonalizedRankingLoss

    if staged:
        ranking = f"{args.ranking_weight} × stage ranking (margin {args.ranking_margin})"
        loss = StagedRankingLoss(model, args.scale, args.ranking_margin, args.ranking_weight)
        return loss, f"MMSE retrieval (scale {args.scale}) + {ranking}"
    name = f"MultipleNegativesRanking (scale {args.scale})"
    if personal is not None:
        return PersonalizedRankingLoss(model, personal.gate, args.scale), name
    return MultipleNegativesRankingLoss(model, scale=args.scale), name


def _schedule(optimizer: Any, total: int, warmup_ratio: float) -> Any:
    """Linear warm-up over `warmup_ratio` of the steps, then linear decay to zero."""
    import torch

    warmup = max(int(total * warmup_ratio), 1)
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min((step + 1) / warmup, max(0.0, (total - step) / max(total - warmup, 1)))
    )


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

    Raises:
        TrainingDataError: `--personalize` without histories, or with the staged ranking loss.
    """
    import torch

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
    personal = _personalization(args, staged, encoder, catalog, template, histories, rng)
    loss_fn, loss_name = _loss(args, model, staged, personal)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.learning_rate)
    if personal is not None:
        optimizer.add_param_group({"params": list(personal.gate.parameters()), "lr": args.gate_learning_rate})
    planner = build_batches(args)
    plan = [planner.plan(examples, args.batch_size, random.Random(args.seed + e)) for e in range(args.epochs)]
    total = sum(len(b) for b in plan) if not args.max_steps else min(args.max_steps, sum(len(b) for b in plan))
    scheduler = _schedule(optimizer, total, args.warmup_ratio)
    corpus = dev_corpus(catalog, dev, args.eval_products, random.Random(args.seed))

    def evaluate_now() -> dict[str, float]:
        if personal is not None:
            personal.refresh()
        model.eval()
        metrics = evaluate(encoder, template, corpus, dev, personal.personalize if personal else None) if dev else {}
        model.train()
        return metrics

    def keep() -> None:
        model.save(str(args.output_dir / CHECKPOINT))
        if personal is not None:
            gate_file = args.output_dir / CHECKPOINT / USER_GATE_FILE
            gate_file.write_text(json.dumps(personal.gate.to_learned_gate().to_dict()))

    def step(batch: list[TrainingExample]) -> float:
        if staged:
            assert isinstance(sampler, StagedSampler)
            columns, labels = _staged_columns(batch, sampler, args.negatives, template, catalog, rng)
        else:
            columns = _columns(batch, sampler, args.negatives, template, catalog, rng)
            labels = personal.labels(batch) if personal is not None else torch.empty(0)
        features = [_to_device(model.preprocess(column), model.device) for column in columns]
        loss = loss_fn(features, labels)
        loss.backward()
        torch.nn.utils.clip_grad_norm_([p for group in optimizer.param_groups for p in group["params"]], 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad()
        return float(loss.detach())

    args.output_dir.mkdir(parents=True, exist_ok=True)
    result = TrainingResult(steps_per_epoch=len(plan[0]) if plan else 0)
    checkpoints = DevCheckpoints(result, evaluate_now, keep)
    run_epochs(plan, step, checkpoints, args, total=total, progress=progress, on_epoch=sampler.set_epoch)
    write_run_outputs(
        args,
        result,
        len(examples),
        len(catalog),
        loss=loss_name,
        sampler=sampler.get_config_dict(),
        batches=planner.get_config_dict(),
        title=f"{sampler.name}, {planner.name} batches, seed {args.seed}",
    )
    return result


def _personalization(
    args: TrainingArgs,
    staged: bool,
    encoder: TorchTextEncoder,
    catalog: Sequence[Product],
    template: ProductTextTemplate,
    histories: dict[str, list[Purchase]] | None,
    rng: random.Random,
) -> _Personalization | None:
    if not args.personalize:
        return None
    if staged:
        raise TrainingDataError("--personalize trains with MNRL; it cannot be combined with --ranking-weight.")
    if not histories:
        raise TrainingDataError(
            "--personalize needs purchase histories: train on a simulated store (its events.jsonl)."
        )
    return _Personalization(encoder, args, catalog, template, histories, rng)


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


def _to_device(features: dict[str, Any], device: Any) -> dict[str, Any]:
    return {k: v.to(device) if hasattr(v, "to") else v for k, v in features.items()}
