"""User tower ablations on a SIMULATED store: constant weights vs trained towers, dev nDCG@10.

    python -m benchmarks.user_tower [--store artifacts/store-50k] [--epochs 10]

Real purchase histories are not public, so every figure here comes from aisle's simulated store
(generated with `aisle simulate` defaults when `--store` does not exist yet). Catalog, queries and
histories are encoded once with the exported base model's ONNX int8 encoder (what the API serves);
`aisle train --freeze-encoder` encodes with torch instead, so its figures differ slightly. Each row
is scored on the dev split over the whole catalog: no personalization, the pooled history at
constant weights (the untrained gate), and user towers trained with `fit_user_tower` (the code
behind `aisle train --personalize --freeze-encoder`), best dev checkpoint, with each kind of target
and without the user projection. A store simulated with `--demographics` adds a tower that also
learns from shopper profiles; the `cold` column is nDCG@10 over the dev searches of shoppers
without purchases, whom only a profile can personalize.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import torch

from aisle.simulate import StoreConfig, simulate, write_store
from benchmarks.common import exported_base_model, load_encoder, write_result
from encoders import Backend
from encoders.evaluation import corpus_metrics
from encoders.fine_tune import read_catalog, search_time
from encoders.histories import purchases_at
from encoders.text import ProductTextTemplate
from encoders.training_args import TowerTargets, TrainingArgs
from encoders.training_data import simulated_store_examples
from encoders.user_tower_training import TowerData, fit_user_tower, target_matrix, tower_data
from kernel.data import Split, read_event_file, read_event_log, read_profiles
from kernel.rejects import RejectLog

CONSTANT_WEIGHTS = (0.5, 0.75, 1.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", type=Path, default=Path("artifacts/store-50k"), help="a simulated store folder")
    parser.add_argument("--epochs", type=int, default=10, help="passes over the training searches per tower")
    args = parser.parse_args()
    if not (args.store / "sessions.jsonl").is_file():
        write_store(simulate(StoreConfig()), args.store)
    rejects = RejectLog(args.store / "benchmark-rejects.jsonl")
    products = read_catalog(args.store / "catalog.jsonl", None, rejects)
    examples, _ = simulated_store_examples(args.store, products, Split.TRAIN)
    _, dev = simulated_store_examples(args.store, products, Split.DEV)
    histories = purchases_at(read_event_log(args.store / "events.jsonl", rejects).histories, search_time(args.store))
    profiles = args.store / "profiles.jsonl"
    demographics = read_profiles(read_event_file(profiles), rejects)[0] if profiles.is_file() else None
    shoppers = [json.loads(line) for line in (args.store / "shoppers.jsonl").read_text().splitlines()]
    cold_users = {s["user_id"] for s in shoppers if s["segment"] == "cold"}
    cold = [i for i, q in enumerate(dev) if q.user_id in cold_users]
    encoder = load_encoder(exported_base_model(), Backend.ONNX_INT8)
    catalog = list(products.values())
    with tempfile.TemporaryDirectory() as scratch:
        settings = TrainingArgs(
            output_dir=Path(scratch),
            personalize=True,
            freeze_encoder=True,
            gate_max_weight=2.0,
            batch_size=128,
            eval_every=0,
            tower_epochs=args.epochs,
        )
        data = tower_data(
            encoder.encode_texts, examples, catalog, dev, histories, settings, ProductTextTemplate(), demographics
        )

        def scored(fused: np.ndarray) -> dict[str, float]:
            metrics = corpus_metrics(fused, data.corpus_vectors, data.corpus_ids, dev)
            subset = corpus_metrics(fused[cold], data.corpus_vectors, data.corpus_ids, [dev[i] for i in cold])
            return {**metrics, "cold ndcg@10": subset["ndcg@10"]}

        def trained(tower_input: TowerData, projection: bool = True) -> dict[str, float]:
            best: dict[str, np.ndarray] = {}

            def keep(gate: Any) -> None:
                with torch.no_grad():
                    best["fused"] = gate(
                        tower_input.dev_queries, tower_input.dev_users, tower_input.dev_demographics
                    ).numpy()

            result = fit_user_tower(tower_input, settings, keep, projection=projection)
            return {**scored(best["fused"]), "step": result.best["step"], "train_seconds": result.train_seconds}

        rows: dict[str, dict[str, float]] = {}
        queries, users = data.dev_queries.numpy(), data.dev_users.numpy()
        for weight in (0.0, *CONSTANT_WEIGHTS):
            fused = queries + weight * users
            fused /= np.linalg.norm(fused, axis=1, keepdims=True)
            name = "no personalization" if weight == 0 else f"pooled history, constant weight {weight}"
            rows[name] = scored(fused)
        position = {p.id: i for i, p in enumerate(catalog)}
        plain = data.without_demographics()
        for targets in TowerTargets:
            targeted = replace(plain, targets=target_matrix(examples, position, targets))
            rows[f"tower, {targets.value} targets"] = trained(targeted)
            if targets is TowerTargets.JUDGED:
                rows["gate without projection, judged targets"] = trained(targeted, projection=False)
                if data.vocabulary:
                    rows["tower + demographics, judged targets"] = trained(replace(data, targets=targeted.targets))
    print(
        f"SIMULATED store {args.store}: {len(examples):,} training searches, {len(dev):,} dev searches, "
        f"{len(catalog):,} products; dev metrics over the whole catalog"
    )
    print(
        f"dev searches by cold shoppers (no purchases): {len(cold)}; profiles: "
        f"{', '.join(data.vocabulary) if data.vocabulary else 'none in this store'}"
    )
    print(f"{'variant':42s} {'nDCG@10':>8s} {'R@100':>7s} {'cold':>7s} {'best step':>9s} {'train s':>8s}")
    for name, metrics in rows.items():
        step = f"{metrics['step']:.0f}" if "step" in metrics else "-"
        seconds = f"{metrics['train_seconds']:.1f}" if "train_seconds" in metrics else "-"
        print(
            f"{name:42s} {metrics['ndcg@10']:8.4f} {metrics['recall@100']:7.4f} {metrics['cold ndcg@10']:7.4f} "
            f"{step:>9s} {seconds:>8s}"
        )
    print(f"results: {write_result('user_tower', {'store': str(args.store), 'simulated': True, 'rows': rows})}")


if __name__ == "__main__":
    main()
