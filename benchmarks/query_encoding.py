"""Query encoding, one query at a time as the API does it: torch fp32 vs ONNX fp32 vs ONNX int8.

Each backend encodes the same Home Depot test queries one by one (the LRU cache is off), after a
warm-up; the median latency and its ratio to torch fp32 are printed, with each ONNX backend's mean
and minimum cosine to torch fp32 on those queries (the target is ≥ 0.99).
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

BACKENDS = [Backend.TORCH, Backend.ONNX, Backend.ONNX_INT8]


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
    vectors: dict[Backend, np.ndarray] = {}
    latencies: dict[Backend, list[float]] = {}
    for backend in BACKENDS:
        settings = EncoderSettings(model_dir=model, backend=backend, query_cache_size=0, threads=args.threads)
        encoder = load_encoder(settings)
        for query in queries[:20]:  # warm-up: first calls allocate
            encoder.encode_query(query)
        timings, rows = [], []
        for query in queries:
            began = time.perf_counter()
            rows.append(encoder.encode_query(query))
            timings.append((time.perf_counter() - began) * 1000)
        latencies[backend], vectors[backend] = timings, np.stack(rows)
    reference = median(latencies[Backend.TORCH])
    result: dict[str, dict[str, float]] = {}
    print(f"{len(queries)} Home Depot test queries, one at a time, model {model.name}")
    print(f"{'backend':10s} {'median ms':>9s} {'p90 ms':>7s} {'speed-up':>8s} {'mean cos':>9s} {'min cos':>8s}")
    for backend in BACKENDS:
        cosines = np.sum(vectors[backend] * vectors[Backend.TORCH], axis=1)
        p50, p90 = median(latencies[backend]), statistics.quantiles(latencies[backend], n=10)[-1]
        result[backend.value] = {
            "median_ms": p50,
            "p90_ms": p90,
            "speedup_vs_torch": reference / p50,
            "mean_cosine": float(cosines.mean()),
            "min_cosine": float(cosines.min()),
        }
        print(
            f"{backend.value:10s} {p50:9.2f} {p90:7.2f} {reference / p50:7.2f}× {cosines.mean():9.4f} "
            f"{cosines.min():8.4f}"
        )
    print(f"results: {write_result('query_encoding', {'queries': len(queries), 'backends': result})}")


if __name__ == "__main__":
    main()
