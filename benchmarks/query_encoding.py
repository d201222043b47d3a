"""Query encoding, one query at a time as the API does it: torch fp32 vs ONNX fp32 vs ONNX int8 vs the static tower.

Each backend encodes the same Home Depot test queries one by one (the LRU cache is off), after a
warm-up; the median latency, the median CPU of the calling thread and the ratio to torch fp32 are
printed, with each backend's mean and minimum cosine to torch fp32 on those queries (the target for
ONNX is ≥ 0.99). When the model has a static query tower (`aisle encoders query-tower`), it is timed
too (`static`: queries it does not cover fall back to ONNX int8, as in the API); its cosine to the
transformer says how far it moved from it, not how well it ranks (that is `aisle eval`'s job).
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np

from aisle.evaluation import home_depot_set
from benchmarks.common import data_dir, exported_base_model, median, write_result
from encoders import Backend, EncoderSettings, load_encoder
from encoders.query_tower import StaticQueryTower
from encoders.settings import QueryTower

BACKENDS = [Backend.TORCH, Backend.ONNX, Backend.ONNX_INT8]
STATIC = "static"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, help="an exported model directory (default: the base model)")
    parser.add_argument("--queries", type=int, default=500, help="test queries timed per backend")
    parser.add_argument(
        "--threads", type=int, default=0, help="ONNX Runtime threads (0: the runtime decides, as the API)"
    )
    args = parser.parse_args()
    model = args.model or exported_base_model()
    queries = [q.text for q in home_depot_set(data_dir() / "home-depot").queries][: args.queries]
    vectors: dict[str, np.ndarray] = {}
    latencies: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}
    runs = [
        (
            b.value,
            EncoderSettings(
                model_dir=model, backend=b, query_cache_size=0, threads=args.threads, query_tower=QueryTower.TRANSFORMER
            ),
        )
        for b in BACKENDS
    ]
    if StaticQueryTower.beside(model) is not None:
        runs.append((STATIC, runs[-1][1].model_copy(update={"query_tower": QueryTower.STATIC})))
    for name, settings in runs:
        encoder = load_encoder(settings)
        for query in queries[:20]:  # warm-up: first calls allocate
            encoder.encode_query(query)
        timings, threads, rows = [], [], []
        for query in queries:
            began, began_cpu = time.perf_counter(), time.thread_time()
            rows.append(encoder.encode_query(query))
            threads.append((time.thread_time() - began_cpu) * 1000)
            timings.append((time.perf_counter() - began) * 1000)
        latencies[name], cpu[name], vectors[name] = timings, threads, np.stack(rows)
    reference = median(latencies[Backend.TORCH.value])
    result: dict[str, dict[str, float]] = {}
    print(f"{len(queries)} Home Depot test queries, one at a time, model {model.name}")
    print(
        f"{'backend':10s} {'median ms':>9s} {'p90 ms':>7s} {'cpu ms':>7s} {'speed-up':>8s} {'mean cos':>9s} "
        f"{'min cos':>8s}"
    )
    for name, _ in runs:
        cosines = np.sum(vectors[name] * vectors[Backend.TORCH.value], axis=1)
        p50, p90 = median(latencies[name]), statistics.quantiles(latencies[name], n=10)[-1]
        result[name] = {
            "median_ms": p50,
            "p90_ms": p90,
            "median_thread_cpu_ms": median(cpu[name]),
            "speedup_vs_torch": reference / p50,
            "mean_cosine": float(cosines.mean()),
            "min_cosine": float(cosines.min()),
        }
        print(
            f"{name:10s} {p50:9.3f} {p90:7.3f} {median(cpu[name]):7.3f} {reference / p50:7.2f}× "
            f"{cosines.mean():9.4f} {cosines.min():8.4f}"
        )
    print(f"results: {write_result('query_encoding', {'queries': len(queries), 'backends': result})}")


if __name__ == "__main__":
    main()
