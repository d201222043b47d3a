"""Negative samplers compared on Home Depot: same data, steps and seed; only the sampler differs.

Each sampler fine-tunes the base model for `--steps` steps on the train split (queries split by a
seeded hash; dev picks the checkpoint, test is never looked at before the end). Reported per
sampler: test nDCG@10 and Recall@100 over the full 54,667-product corpus (exact dot products, ONNX
fp32 of the kept checkpoint), training seconds per step and a projected epoch, and the training
seconds until dev nDCG@10 first reached the in-batch run's best. TB-HNS needs categories: it uses
the catalog written by `aisle index assign-taxonomy` (`--assigned`); every sampler trains on that
file with a title-only template, so the text the encoder sees is the same for all.
`tb-hns-batches` is TB-HNS as batch composition (`--batching taxonomy`, no extra columns). A run of
a subset (`--samplers in-batch tb-hns-batches`) writes `samplers-<names>.json`, leaving the full
comparison's `samplers.json` in place.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from benchmarks.common import RESULTS, data_dir, exported_base_model, load_encoder, write_result
from encoders import Backend
from encoders.evaluation import corpus_metrics
from encoders.fine_tune import fine_tune, read_catalog
from encoders.training_args import Batching, NegativeStrategy, TrainingArgs
from encoders.training_data import home_depot_examples
from kernel.data import Split
from kernel.rejects import RejectLog

# name → (sampler, batching, hard negatives per example; None: --negatives)
RUNS: dict[str, tuple[NegativeStrategy, Batching, int | None]] = {
    "in-batch": (NegativeStrategy.IN_BATCH, Batching.RANDOM, None),
    "bm25": (NegativeStrategy.BM25, Batching.RANDOM, None),
    "ance": (NegativeStrategy.ANCE, Batching.RANDOM, None),
    "tb-hns": (NegativeStrategy.TB_HNS, Batching.RANDOM, None),
    # TB-HNS as batch composition: runs of taxonomy neighbours, no extra texts to encode.
    "tb-hns-batches": (NegativeStrategy.IN_BATCH, Batching.TAXONOMY, 0),
}


def _test_metrics(model_dir: Path, assigned: Path, judgments: Path, seed: int) -> dict[str, float]:
    products = read_catalog(assigned, None, RejectLog(RESULTS / "samplers" / "catalog-rejects.jsonl"))
    _, test = home_depot_examples(judgments, products, Split.TEST, seed)
    encoder = load_encoder(model_dir, Backend.ONNX)
    catalog = list(products.values())
    product_vectors = encoder.encode_products(catalog)
    query_vectors = encoder.encode_texts([q.text for q in test])
    return corpus_metrics(query_vectors, product_vectors, [p.id for p in catalog], test) | {"test_queries": len(test)}


def _time_to(curve: list[dict[str, float]], target: float) -> float | None:
    return next((point["train_seconds"] for point in curve if point.get("ndcg@10", -1) >= target), None)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--assigned",
        type=Path,
        default=Path("artifacts/home-depot-assigned/products.csv.gz"),
        help="Home Depot catalog with assigned categories (aisle index assign-taxonomy)",
    )
    parser.add_argument("--samplers", nargs="+", default=list(RUNS), choices=list(RUNS))
    parser.add_argument("--steps", type=int, default=120, help="training steps per sampler")
    parser.add_argument("--eval-every", type=int, default=30)
    parser.add_argument("--eval-products", type=int, default=3000, help="dev corpus: judged + sampled products")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--negatives", type=int, default=2)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    if not args.assigned.is_file():
        raise SystemExit(f"{args.assigned} is missing; write it with `aisle index assign-taxonomy` (see README).")
    home_depot = data_dir() / "home-depot"
    runs: dict[str, dict[str, Any]] = {}
    base = _test_metrics(exported_base_model(), args.assigned, home_depot / "judgments.csv.gz", args.seed)
    print(f"base model (no fine-tuning): test {base}", flush=True)
    for name in args.samplers:
        out = RESULTS / "samplers" / name
        sampler, batching, negatives = RUNS[name]
        training = TrainingArgs(
            home_depot=home_depot,
            catalog=args.assigned,
            output_dir=out,
            sampler=sampler,
            batching=batching,
            negatives=args.negatives if negatives is None else negatives,
            batch_size=args.batch_size,
            max_steps=args.steps,
            eval_every=args.eval_every,
            eval_products=args.eval_products,
            seed=args.seed,
            template="{title}",
            ance_refresh_every=max(args.steps // 3, 1),
        )
        tuned = fine_tune(training)
        result = tuned.result
        per_step = result.train_seconds / max(result.steps, 1)
        test = _test_metrics(tuned.model_dir, args.assigned, home_depot / "judgments.csv.gz", args.seed)
        runs[name] = {
            "steps": result.steps,
            "train_seconds": round(result.train_seconds, 1),
            "seconds_per_step": round(per_step, 3),
            "projected_epoch_minutes": round(per_step * result.steps_per_epoch / 60, 1),
            "steps_per_epoch": result.steps_per_epoch,
            "dev_start": result.curve[0],
            "dev_best": result.best,
            "curve": result.curve,
            "test": test,
        }
        print(f"{name}: test {runs[name]['test']}; {per_step:.2f} s/step", flush=True)
    baseline = runs.get("in-batch")
    if baseline:
        target = baseline["dev_best"].get("ndcg@10", 0.0)
        for run in runs.values():
            run["seconds_to_in_batch_best_dev"] = _time_to(run["curve"], target)
            run["ndcg@10_vs_in_batch"] = round(run["test"]["ndcg@10"] / baseline["test"]["ndcg@10"], 4)
            run["time_per_step_vs_in_batch"] = round(run["seconds_per_step"] / baseline["seconds_per_step"], 3)
    settings = {"steps": args.steps, "batch_size": args.batch_size, "negatives": args.negatives, "seed": args.seed}
    name = "samplers" if args.samplers == list(RUNS) else "-".join(["samplers", *args.samplers])
    path = write_result(name, {"base_test": base, **settings, "runs": runs})
    print(
        f"\n{'sampler':10s} {'test nDCG@10':>12s} {'R@100':>7s} {'s/step':>7s} {'epoch min':>9s} {'× in-batch':>10s} "
        f"{'s to in-batch best':>18s}"
    )
    for name, run in runs.items():
        reach = run.get("seconds_to_in_batch_best_dev")
        print(
            f"{name:10s} {run['test']['ndcg@10']:12.4f} {run['test']['recall@100']:7.4f} "
            f"{run['seconds_per_step']:7.2f} {run['projected_epoch_minutes']:9.1f} "
            f"{run.get('time_per_step_vs_in_batch', 1.0):10.3f} "
            f"{'never' if reach is None else f'{reach:.0f}':>18s}"
        )
    print(f"{'base':10s} {base['ndcg@10']:12.4f} {base['recall@100']:7.4f}  (no fine-tuning)")
    print(f"results: {path}")


if __name__ == "__main__":
    main()
