"""Training the user tower alone on a frozen encoder (`aisle train --personalize --freeze-encoder`).

Fine-tuning the encoder on a store's few thousand searches made it worse (SIMULATED 50k store: dev
nDCG@10 fell at every checkpoint), and the gate trained beside it never beat its starting point. This
path keeps the encoder as it is and trains only the user projection and gate (`UserGate`): products,
queries and histories are encoded once, then every step scores a batch of fused query vectors
against the whole catalog. An example's targets are its purchased product and every product judged
relevant for its query (a multi-positive softmax): trained on the purchase alone, the tower learned
to lean less on history than even its untrained start, because one exact product among thousands of
look-alikes is mostly luck. Given shopper profiles, the gate also learns one offset per demographic
value (`region=south`), trained on every search, cold shoppers' included.
"""

from __future__ import annotations

import json
import random
import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from encoders.backends import TorchTextEncoder
from encoders.errors import TrainingDataError
from encoders.evaluation import corpus_metrics
from encoders.fingerprint import weights_digest
from encoders.histories import Purchase, user_vectors
from encoders.product_vectors import PRODUCT_VECTORS_FILE, ProductVectors
from encoders.runs import CHECKPOINT, DevCheckpoints, TrainingResult, dev_corpus, run_epochs, write_run_outputs
from encoders.samplers import TrainingExample
from encoders.text import ProductTextTemplate
from encoders.training_args import TowerTargets, TrainingArgs
from encoders.user_tower import USER_GATE_FILE, RecencyPoolingTower, demographic_token
from kernel.data import JudgedQuery
from kernel.product import Product

__all__ = ["TowerData", "fit_user_tower", "target_matrix", "tower_data", "train_user_tower"]


@dataclass
class TowerData:
    """The fixed vectors a user tower is trained and scored on (one row per training search or dev query)."""

    queries: Any
    users: Any
    targets: Any
    candidates: Any
    dev: Sequence[JudgedQuery]
    dev_queries: Any
    dev_users: Any
    corpus_vectors: npt.NDArray[np.float32]
    corpus_ids: list[str]
    vocabulary: list[str] = field(default_factory=list)
    demographics: Any = None
    dev_demographics: Any = None

    def without_demographics(self) -> TowerData:
        """The same data with the profiles left out (what a store without profiles would give)."""
        return replace(self, vocabulary=[], demographics=None, dev_demographics=None)


def tower_data(
    encode: Callable[[Sequence[str]], npt.NDArray[np.float32]],
    examples: Sequence[TrainingExample],
    catalog: Sequence[Product],
    dev: Sequence[JudgedQuery],
    histories: dict[str, list[Purchase]],
    args: TrainingArgs,
    template: ProductTextTemplate,
    demographics: dict[str, dict[str, str]] | None = None,
) -> TowerData:
    """Encode catalog, queries and histories once with `encode` (the frozen encoder).

    `demographics` (user → profile fields) adds each search's profile values as vocabulary indices.

    Raises:
        TrainingDataError: no purchase histories, or no example whose shopper has one.
    """
    import torch

    if not histories:
        raise TrainingDataError(
            "--personalize needs purchase histories: train on a simulated store (its events.jsonl)."
        )
    product_vectors = encode([template.render(p) for p in catalog])
    position = {p.id: i for i, p in enumerate(catalog)}
    known = {u: [p for p in h if p.product_id in position] for u, h in histories.items()}
    users = user_vectors(
        known, lambda ids: product_vectors[[position[i] for i in ids]], RecencyPoolingTower(args.history_half_life_days)
    )
    if not any(e.user_id in users for e in examples):
        raise TrainingDataError("No training search has a shopper with a purchase history: nothing to personalize.")
    zero = np.zeros(product_vectors.shape[1], dtype=np.float32)
    corpus = dev_corpus(catalog, dev, args.eval_products, random.Random(args.seed))
    profiles = demographics or {}
    vocabulary = sorted(
        {demographic_token(k, v) for e in examples for k, v in profiles.get(e.user_id or "", {}).items()}
    )
    return TowerData(
        queries=torch.from_numpy(encode([e.query for e in examples])),
        users=torch.from_numpy(np.stack([users.get(e.user_id or "", zero) for e in examples])),
        targets=target_matrix(examples, position, args.tower_targets),
        candidates=torch.from_numpy(product_vectors),
        dev=dev,
        dev_queries=torch.from_numpy(encode([q.text for q in dev])) if dev else None,
        dev_users=torch.from_numpy(np.stack([users.get(q.user_id or "", zero) for q in dev])) if dev else None,
        corpus_vectors=product_vectors[[position[p.id] for p in corpus]],
        corpus_ids=[p.id for p in corpus],
        vocabulary=vocabulary,
        demographics=_profile_matrix([e.user_id for e in examples], profiles, vocabulary) if vocabulary else None,
        dev_demographics=_profile_matrix([q.user_id for q in dev], profiles, vocabulary) if vocabulary else None,
    )


def _profile_matrix(users: Sequence[str | None], profiles: dict[str, dict[str, str]], vocabulary: list[str]) -> Any:
    """Row i: vocabulary indices of user i's profile values, padded with -1 (unknown users: all -1)."""
    index = {token: i for i, token in enumerate(vocabulary)}
    rows = [
        [index[t] for t in (demographic_token(k, v) for k, v in profiles.get(u or "", {}).items()) if t in index]
        for u in users
    ]
    return _padded(rows)


def fit_user_tower(
    data: TowerData,
    args: TrainingArgs,
    on_best: Callable[[Any], None] | None = None,
    progress: Callable[[int, int, float], None] | None = None,
    projection: bool = True,
) -> TrainingResult:
    """Train a fresh `UserGate` on `data`; dev is scored at step 0 and every `eval_every` steps (0: each epoch).

    `on_best` gets the gate each time its dev nDCG@10 is the best so far (step 0 included).
    """
    import torch

    from encoders.personalization import UserGate

    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    gate = UserGate(data.candidates.shape[1], args.gate_max_weight, projection=projection, demographics=data.vocabulary)
    optimizer = torch.optim.AdamW(gate.parameters(), lr=args.tower_learning_rate)
    examples = len(data.queries)
    steps_per_epoch = -(-examples // args.batch_size)
    total = steps_per_epoch * args.tower_epochs
    if args.max_steps:
        total = min(total, args.max_steps)

    def evaluate_now() -> dict[str, float]:
        if not data.dev:
            return {}
        with torch.no_grad():
            fused = gate(data.dev_queries, data.dev_users, data.dev_demographics).numpy()
        return corpus_metrics(fused, data.corpus_vectors, data.corpus_ids, data.dev)

    def keep() -> None:
        if on_best is not None:
            on_best(gate)

    def epoch() -> Iterator[Any]:
        order = list(range(examples))
        rng.shuffle(order)
        for start in range(0, len(order), args.batch_size):
            yield torch.tensor(order[start : start + args.batch_size])

    def step(batch: Any) -> float:
        kept = torch.tensor([rng.random() >= args.history_dropout for _ in range(len(batch))])
        profiles = None if data.demographics is None else data.demographics[batch]
        fused = gate(data.queries[batch], data.users[batch] * kept[:, None], profiles)
        log_probabilities = torch.log_softmax(args.scale * fused @ data.candidates.T, dim=1)
        rows = data.targets[batch]
        on_target = log_probabilities.gather(1, rows.clamp(min=0)) + torch.where(rows >= 0, 0.0, -torch.inf)
        loss = -torch.logsumexp(on_target, dim=1).mean()
        optimizer.zero_grad()
        loss.backward()  # type: ignore[no-untyped-call]  # torch leaves it untyped
        optimizer.step()
        return float(loss.detach())

    # Step 0 is the untrained tower: pooled history at a constant weight.
    checkpoints = DevCheckpoints(TrainingResult(steps_per_epoch=steps_per_epoch), evaluate_now, keep)
    epochs = (epoch() for _ in range(args.tower_epochs))
    return run_epochs(epochs, step, checkpoints, args, total=total, progress=progress)


def train_user_tower(
    base_model: Path,
    examples: Sequence[TrainingExample],
    catalog: Sequence[Product],
    dev: Sequence[JudgedQuery],
    args: TrainingArgs,
    template: ProductTextTemplate,
    histories: dict[str, list[Purchase]],
    progress: Callable[[int, int, float], None] | None = None,
    demographics: dict[str, dict[str, str]] | None = None,
) -> TrainingResult:
    """Train the user projection and gate of `base_model` on (query, history, profile) → relevant products.

    Copies `base_model` unchanged to `args.output_dir/checkpoint`, beside the best dev gate.

    Raises:
        TrainingDataError: no purchase histories, or no example whose shopper has one.
    """
    started = time.perf_counter()
    encode, made_by = _frozen_encoder(base_model, args)
    data = tower_data(encode, examples, catalog, dev, histories, args, template, demographics)
    if made_by is not None:
        # The index will hold exactly these vectors (same model, same backend): kept for it.
        texts = [template.render(p) for p in catalog]
        ProductVectors.of(*made_by, texts, data.candidates.numpy()).save(args.output_dir / PRODUCT_VECTORS_FILE)
    checkpoint_dir = args.output_dir / CHECKPOINT
    checkpoint_dir.mkdir(parents=True, exist_ok=True)
    # The encoder's files are copied, not re-saved, so the export keeps the base's fingerprint and the
    # product and users indices built with it stay valid: a new user tower needs no catalog reindex.
    shutil.copytree(base_model, checkpoint_dir, dirs_exist_ok=True)

    def save(gate: Any) -> None:
        (checkpoint_dir / USER_GATE_FILE).write_text(json.dumps(gate.to_learned_gate().to_dict()))

    result = fit_user_tower(data, args, save, progress)
    encoding = time.perf_counter() - started - result.seconds
    for point in result.curve:
        point["seconds"] += encoding
    result.seconds += encoding
    loss_name = f"multi-positive softmax over the catalog (scale {args.scale}), encoder frozen"
    write_run_outputs(
        args,
        result,
        len(examples),
        len(catalog),
        loss=loss_name,
        sampler={"name": "whole catalog", "targets": str(args.tower_targets), "demographics": data.vocabulary},
        batches={"name": "random", "size": args.batch_size, "epochs": args.tower_epochs},
        title=f"user tower on a frozen encoder, seed {args.seed}",
    )
    return result


def target_matrix(examples: Sequence[TrainingExample], position: dict[str, int], targets: TowerTargets) -> Any:
    """Row i: catalog positions of example i's target products, padded with -1.

    The purchased product always; with `judged`, every product judged relevant for the query; with
    `clicked`, the products clicked on the search's result page.
    """

    def wanted(example: TrainingExample) -> set[str]:
        extra = {TowerTargets.JUDGED: example.relevant_ids, TowerTargets.CLICKED: example.clicked}.get(targets, ())
        return {example.positive.id, *extra}

    return _padded([sorted(position[i] for i in wanted(e) if i in position) for e in examples])


def _padded(rows: list[list[int]]) -> Any:
    """Index rows as one long tensor, padded with -1 to the longest (at least one column)."""
    import torch

    matrix = torch.full((len(rows), max([len(r) for r in rows] + [1])), -1, dtype=torch.long)
    for i, row in enumerate(rows):
        matrix[i, : len(row)] = torch.tensor(row, dtype=torch.long)
    return matrix


def _frozen_encoder(
    base_model: Path, args: TrainingArgs
) -> tuple[Callable[[Sequence[str]], npt.NDArray[np.float32]], tuple[str, str] | None]:
    """What encodes for a frozen-encoder run, and (fingerprint, backend) when its product vectors are the served ones.

    The base model is served as its ONNX int8 export: encoding with it is several times faster than
    torch and gives the vectors the index will hold. Without the export tools, torch encodes.
    """
    from encoders.loading import exported_base_model, load_encoder
    from encoders.settings import Backend, EncoderSettings

    exported = exported_base_model()
    if exported is not None and weights_digest(exported) == weights_digest(base_model):
        encoder = load_encoder(
            EncoderSettings(
                model_dir=exported, backend=Backend.ONNX_INT8, max_seq_length=args.max_seq_length, query_cache_size=0
            )
        )
        return encoder.encode_texts, encoder.vector_identity
    torch_encoder = TorchTextEncoder(base_model, max_seq_length=args.max_seq_length, batch_size=128)
    return torch_encoder.encode, None
