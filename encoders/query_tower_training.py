"""Train the static query tower against the frozen product vectors of the index.

Start: Model2Vec's distillation of the transformer (one forward pass per vocabulary token, no PCA,
so the vectors keep the index's dimension). Then, on the training split's judged searches, the
token vectors learn two things at once: a query's mean must rank its relevant products first among
in-batch and sampled products (InfoNCE over the **frozen** product vectors, other relevant products
masked), and stay near what the transformer says of the same query (cosine distillation), so that
queries without judgments keep the transformer's sense. Dev nDCG@10 of dense retrieval over the whole
catalog picks the epoch. Products are never re-encoded: the index and its fingerprint stay valid.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from encoders.arguments import ReplayableArgs
from encoders.backends import Vectors
from encoders.errors import TrainingDataError
from encoders.query_tower import StaticQueryTower
from kernel.data import ndcg_at

__all__ = ["QueryTowerArgs", "TowerSearch", "distil_tower", "dense_ndcg", "train_query_tower"]


@dataclass
class QueryTowerArgs(ReplayableArgs):
    """How the static query tower is trained."""

    epochs: int = field(default=3, metadata={"help": "Passes over the training searches.", "min": 0, "max": 100})
    batch_size: int = field(default=128, metadata={"help": "Searches per step.", "min": 2, "max": 4096})
    learning_rate: float = field(default=0.01, metadata={"help": "Adam's step size on the token vectors."})
    temperature: float = field(default=0.05, metadata={"help": "Softmax temperature of the ranking loss."})
    sampled_negatives: int = field(
        default=1024, metadata={"help": "Random catalog products added to each step's candidates.", "min": 0}
    )
    distil_weight: float = field(
        default=1.0, metadata={"help": "Weight of staying near the transformer's query vector.", "min": 0}
    )
    min_grade: int = field(default=2, metadata={"help": "Lowest grade a training positive has.", "min": 1})
    max_tokens: int = field(
        default=16, metadata={"help": "Longest query the tower encodes; longer ones go to the transformer.", "min": 1}
    )
    seed: int = field(default=42, metadata={"help": "Seed of the shuffles and samples."})


@dataclass(frozen=True)
class TowerSearch:
    """A judged search: its text and its products' grades (product id → grade)."""

    text: str
    grades: dict[str, int]


def distil_tower(model_dir: Path, max_tokens: int, batch_size: int = 512) -> StaticQueryTower:
    """A static tower distilled from the transformer in `model_dir`, Model2Vec's way.

    Each vocabulary token goes through the transformer alone (`[CLS] token [SEP]`) and its mean-pooled
    output, not normalized (a row's length weighs it in a query's mean), becomes its vector: the
    full dimension, so the vectors live where the product vectors do. (Model2Vec's own `distill`
    needs an older transformers than aisle's training uses; this is its recipe without the PCA and the
    frequency weighting, which the training below replaces.)
    """
    import torch
    from model2vec import StaticModel
    from sentence_transformers import SentenceTransformer
    from tokenizers import Tokenizer

    transformer = SentenceTransformer(str(model_dir), device="cpu")
    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    size = tokenizer.get_vocab_size()
    first, last = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    if first is None or last is None:
        raise TrainingDataError(
            f"{model_dir}'s tokenizer has no [CLS] and [SEP]: the static tower needs a BERT-style one."
        )
    rows = np.zeros((size, transformer.get_embedding_dimension() or 0), dtype=np.float32)
    encoder, pooling = transformer[0], transformer[1]
    with torch.inference_mode():
        for start in range(0, size, batch_size):
            ids = torch.arange(start, min(start + batch_size, size))
            input_ids = torch.stack([torch.full_like(ids, first), ids, torch.full_like(ids, last)], dim=1)
            features = {"input_ids": input_ids, "attention_mask": torch.ones_like(input_ids)}
            rows[start : start + len(ids)] = pooling(encoder(features))["sentence_embedding"].numpy()
    model = StaticModel(rows, tokenizer, {"distilled_from": str(model_dir)}, normalize=True)
    return StaticQueryTower(model, {"distilled_from": str(model_dir)}, max_tokens)


def dense_ndcg(
    queries: Vectors, searches: Sequence[TowerSearch], products: Vectors, ids: Sequence[str], k: int = 10
) -> float:
    """Mean nDCG@k of exact nearest-neighbour retrieval over all products."""
    scores: list[float] = []
    for start in range(0, len(searches), 256):
        block = queries[start : start + 256] @ products.T
        top = np.argpartition(-block, k, axis=1)[:, :k]
        for row, found, search in zip(block, top, searches[start : start + 256], strict=True):
            ranked = [ids[j] for j in found[np.argsort(-row[found])]]
            scores.append(ndcg_at(ranked, search.grades, k))
    return float(np.mean(scores)) if scores else 0.0


def train_query_tower(
    tower: StaticQueryTower,
    train: Sequence[TowerSearch],
    dev: Sequence[TowerSearch],
    products: Vectors,
    product_ids: Sequence[str],
    teacher: Callable[[Sequence[str]], Vectors],
    args: QueryTowerArgs,
    progress: Callable[[str], None] = lambda _: None,
) -> tuple[StaticQueryTower, dict[str, Any]]:
    """Train `tower` in place of its token vectors; return it with the best dev epoch's and a record.

    `products` are the index's unit product vectors (frozen), `teacher` encodes queries with the
    transformer.

    Raises:
        TrainingDataError: no training search has a product in the catalog with at least `min_grade`.
    """
    import torch

    started = time.perf_counter()
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    position = {p: i for i, p in enumerate(product_ids)}
    pairs = [
        (s.text, position[p], frozenset(position[q] for q in s.grades if q in position))
        for s in train
        for p, g in s.grades.items()
        if g >= args.min_grade and p in position
    ]
    if not pairs:
        raise TrainingDataError(
            f"No training search has a catalog product graded {args.min_grade} or more: nothing to train on."
        )
    texts = sorted({t for t, _, _ in pairs})
    teacher_vectors = dict(zip(texts, teacher(texts), strict=True))
    dev_teacher = teacher([s.text for s in dev])
    record: dict[str, Any] = {
        "train_pairs": len(pairs),
        "train_searches": len(texts),
        "dev_searches": len(dev),
        "dev_ndcg@10_transformer": round(dense_ndcg(dev_teacher, dev, products, product_ids), 4),
    }
    table = torch.nn.EmbeddingBag.from_pretrained(torch.from_numpy(tower.table.copy()), freeze=False, mode="mean")
    frozen = torch.from_numpy(np.ascontiguousarray(products, dtype=np.float32))
    optimizer = torch.optim.Adam(table.parameters(), lr=args.learning_rate)

    def current() -> StaticQueryTower:
        return _with_table(tower, table.weight.detach().numpy().copy())

    best_table = tower.table.copy()
    best = dense_ndcg(tower.encode([s.text for s in dev]), dev, products, product_ids)
    curve = [{"epoch": 0, "dev_ndcg@10": round(best, 4)}]
    progress(f"query tower: dev nDCG@10 {best:.4f} distilled (transformer {record['dev_ndcg@10_transformer']})")
    for epoch in range(1, args.epochs + 1):
        rng.shuffle(pairs)
        losses = []
        for start in range(0, len(pairs), args.batch_size):
            batch = pairs[start : start + args.batch_size]
            ids = tower.token_ids([t for t, _, _ in batch])
            keep = [i for i, found in enumerate(ids) if found]
            if len(keep) < 2:
                continue
            batch, ids = [batch[i] for i in keep], [ids[i] for i in keep]
            flat = torch.tensor([t for found in ids for t in found], dtype=torch.long)
            offsets = torch.tensor(np.cumsum([0, *[len(f) for f in ids[:-1]]]), dtype=torch.long)
            queries = torch.nn.functional.normalize(table(flat, offsets), dim=-1)
            sampled = rng.sample(range(len(product_ids)), min(args.sampled_negatives, len(product_ids)))
            candidates = list(dict.fromkeys([p for _, p, _ in batch] + sampled))
            column = {p: j for j, p in enumerate(candidates)}
            logits = queries @ frozen[candidates].T / args.temperature
            # Another product this search judged is no negative for it.
            mask = torch.zeros_like(logits, dtype=torch.bool)
            for i, (_, positive, judged) in enumerate(batch):
                for p in judged:
                    if p != positive and p in column:
                        mask[i, column[p]] = True
            logits = logits.masked_fill(mask, float("-inf"))
            targets = torch.tensor([column[p] for _, p, _ in batch])
            rank_loss = torch.nn.functional.cross_entropy(logits, targets)
            taught = torch.from_numpy(np.stack([teacher_vectors[t] for t, _, _ in batch]))
            distil_loss = (1 - (queries * taught).sum(-1)).mean()
            loss = rank_loss + args.distil_weight * distil_loss
            optimizer.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]  # torch leaves it untyped
            optimizer.step()
            losses.append(loss.item())
        scored = current()
        ndcg = dense_ndcg(scored.encode([s.text for s in dev]), dev, products, product_ids)
        curve.append({"epoch": epoch, "dev_ndcg@10": round(ndcg, 4), "train_loss": round(float(np.mean(losses)), 4)})
        progress(f"query tower: epoch {epoch}, loss {np.mean(losses):.4f}, dev nDCG@10 {ndcg:.4f}")
        if ndcg > best:
            best, best_table = ndcg, scored.table.copy()
    record |= {
        "curve": curve,
        "best_dev_ndcg@10": round(best, 4),
        "best_epoch": max(curve, key=lambda c: c["dev_ndcg@10"])["epoch"],
        "seconds": round(time.perf_counter() - started, 1),
    }
    return _with_table(tower, best_table), record


def _with_table(tower: StaticQueryTower, table: npt.NDArray[np.float32]) -> StaticQueryTower:
    from model2vec import StaticModel

    model = StaticModel(table, tower.model.tokenizer, dict(tower.model.config), normalize=True)
    return StaticQueryTower(model, dict(tower.card), tower.max_tokens)
