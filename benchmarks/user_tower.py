"""User tower ablations on a SIMULATED store: constant weights vs trained towers, dev nDCG@10.

    python -m benchmarks.user_tower [--store artifacts/store-50k] [--epochs 10]

Real purchase histories are not public, so every figure here comes from aisle's simulated store
(generated with `aisle simulate` defaults when `--store` does not exist yet). Catalog, queries and
histories are encoded once with the exported base model's ONNX int8 encoder (what the API serves);
`aisle train --freeze-encoder` encodes with torch instead, so its figures differ slightly. Each row
is scored on the dev split over the whole catalog: no personalization, the pooled history at
constant weights (the untrained gate), and user towers trained with `fit_user_tower` (the code
behind `aisle train --personalize --freeze-encoder`), best dev checkpoint, with each kind of target
and without the user projection.
"""

from __future__ import annotations

import argparse
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np

from aisle.simulate import StoreConfig, simulate, write_store
from benchmarks.common import exported_base_model, load_encoder, write_result
from encoders import Backend
from encoders.evaluation import corpus_metrics
from encoders.histories import read_histories
from encoders.text import ProductTextTemplate
from encoders.train_cli import _catalog, _search_time
from encoders.training_args import TowerTargets, TrainingArgs
from encoders.training_data import Split, simulated_store_examples
from encoders.user_tower_training import fit_user_tower, target_matrix, tower_data

CONSTANT_WEIGHTS = (0.5, 0.75, 1.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", type=Path, default=Path("artifacts/store-50k"), help="a simulated store folder")
    parser.add_argument("--epochs", type=int, default=10, help="passes over the training searches per tower")
    args = parser.parse_args()
    if not (args.store / "sessions.jsonl").is_file():
        write_store(simulate(StoreConfig()), args.store)
    products = _catalog(args.store / "catalog.jsonl", home_depot=False)
    examples, _ = simulated_store_examples(args.store, products, Split.TRAIN)
    _, dev = simulated_store_examples(args.store, products, Split.DEV)
    histories = read_histories(args.store / "events.jsonl", _search_time(args.store))
    encoder = load_encoder(exported_base_model(), Backend.ONNX_INT8)
    catalog = list(products.values())
    with tempfile.TemporaryDirectory() as scratch:
        settings = TrainingArgs(output_dir=Path(scratch), personalize=True, freeze_encoder=True, gate_max_weight=2.0,
                                batch_size=128, eval_every=0, tower_epochs=args.epochs)  # fmt: skip
        data = tower_data(encoder.encode_texts, examples, catalog, dev, histories, settings, ProductTextTemplate())
        rows: dict[str, dict[str, float]] = {}
        queries, users = data.dev_queries.numpy(), data.dev_users.numpy()
        for weight in (0.0, *CONSTANT_WEIGHTS):
            fused = queries + weight * users
            fused /= np.linalg.norm(fused, axis=1, keepdims=True)
            name = "no personalization" if weight == 0 else f"pooled history, constant weight {weight}"
            rows[name] = corpus_metrics(fused, data.corpus_vectors, data.corpus_ids, dev)
        position = {p.id: i for i, p in enumerate(catalog)}
        for targets in TowerTargets:
            targeted = replace(data, targets=target_matrix(examples, position, targets))
            result = fit_user_tower(targeted, settings)
            rows[f"tower, {targets.value} targets"] = {**result.best, "train_seconds": result.train_seconds}
            if targets is TowerTargets.JUDGED:
                plain = fit_user_tower(targeted, settings, projection=False)
                rows["gate without projection, judged targets"] = {**plain.best, "train_seconds": plain.train_seconds}
    print(f"SIMULATED store {args.store}: {len(examples):,} training searches, {len(dev):,} dev searches, "
          f"{len(catalog):,} products; dev metrics over the whole catalog")  # fmt: skip
    print(f"{'variant':42s} {'nDCG@10':>8s} {'R@100':>7s} {'best step':>9s} {'train s':>8s}")
    for name, metrics in rows.items():
        step = f"{metrics['step']:.0f}" if "step" in metrics else "-"
        seconds = f"{metrics['train_seconds']:.1f}" if "train_seconds" in metrics else "-"
        print(f"{name:42s} {metrics['ndcg@10']:8.4f} {metrics['recall@100']:7.4f} {step:>9s} {seconds:>8s}")
    print(f"results: {write_result('user_tower', {'store': str(args.store), 'simulated': True, 'rows': rows})}")


if __name__ == "__main__":
    main()
