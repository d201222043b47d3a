"""The query-vector cache under a store's traffic: hit rate and encoding CPU per search by cache size.

    python -m benchmarks.query_cache --store DIR [--model DIR] [--sizes 0 64 256 1024 4096 16384]

Replays the SIMULATED store's searches (`sessions.jsonl`, in a seeded shuffle, so shoppers interleave
as they would in a day) through `Encoder.encode_query`, the API's own path, once per cache size, with
the transformer (ONNX int8) and, when the model has one, the static query tower. Each search's thread
CPU is read with `time.thread_time`; the baseline in the same run is size 0 (every search encoded).
The result says where the hit rate stops rising (the size to ship) and what a hit saves with each tower.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from pathlib import Path

from benchmarks.common import exported_base_model, median, write_result
from encoders import Backend, EncoderSettings, load_encoder
from encoders.query_tower import StaticQueryTower
from encoders.settings import QueryTower
from kernel.data import read_sessions

SIZES = [0, 64, 256, 1024, 4096, 16384]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--store", type=Path, required=True, help="a SIMULATED store folder (aisle simulate)")
    parser.add_argument("--model", type=Path, help="an exported model directory (default: the base model)")
    parser.add_argument("--sizes", type=int, nargs="+", default=SIZES, help="cache sizes to replay")
    parser.add_argument("--searches", type=int, default=20_000, help="searches replayed per size at most")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    model = args.model or exported_base_model()
    queries = [s.query for s in read_sessions(args.store)]
    random.Random(args.seed).shuffle(queries)
    queries = queries[: args.searches]
    distinct = len({" ".join(q.lower().split()) for q in queries})
    towers = [QueryTower.TRANSFORMER]
    if StaticQueryTower.beside(model) is not None:
        towers.append(QueryTower.STATIC)
    print(f"SIMULATED store {args.store}: {len(queries):,} searches replayed, {distinct:,} distinct queries")
    print(f"{'tower':12s} {'size':>6s} {'hit rate':>8s} {'median cpu ms':>13s} {'mean cpu ms':>11s}")
    result: dict[str, dict[str, float]] = {}
    for tower in towers:
        for size in args.sizes:
            settings = EncoderSettings(
                model_dir=model, backend=Backend.ONNX_INT8, query_cache_size=size, query_tower=tower
            )
            encoder = load_encoder(settings)
            encoder.encode_texts(["warm up"])  # first calls allocate
            timings = []
            for q in queries:
                began = time.thread_time()
                encoder.encode_query(q)
                timings.append((time.thread_time() - began) * 1000)
            hits, misses = encoder.query_cache_stats
            rate = hits / (hits + misses)
            result[f"{tower.value}@{size}"] = {
                "size": size,
                "hit_rate": rate,
                "median_cpu_ms": median(timings),
                "mean_cpu_ms": statistics.fmean(timings),
            }
            print(f"{tower.value:12s} {size:6d} {rate:8.3f} {median(timings):13.4f} {statistics.fmean(timings):11.4f}")
    path = write_result(
        "query_cache", {"store": str(args.store), "searches": len(queries), "distinct": distinct, "sizes": result}
    )
    print(f"results: {path}")


if __name__ == "__main__":
    main()
