"""Indexing throughput on the Home Depot catalog: end-to-end docs/s against encode-only docs/s.

    python benchmarks/index_throughput.py [--repeat 5] [--limit N] [--backend onnx-int8]

Both are measured in the same run on the same products, alternating, and the medians are
compared: end-to-end is read → validate → encode → bulk into a fresh index (refresh off, no
replicas) → refresh → force merge to `max_segments` (what `aisle index build` does before its gates);
encode-only is read → validate → encode. The segments the load left and the merge's own seconds are
printed too, and the CPU each phase cost per document: the indexer process's own (encoding, bulk
requests) and OpenSearch's (from `_nodes/stats`), which is what the two share on one machine. It
needs a running OpenSearch (`aisle opensearch start`, or AISLE_OPENSEARCH_URL).

With `--cores-apart` the benchmark runs on the first core and the managed node on the others, as when
the engine is a cluster of its own: whether the pipeline keeps the encoder busy when OpenSearch does
not take its CPU. Both rates are then one core's; the node gets every core back at the end.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import itertools
import os
import resource
import signal
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from opensearchpy import OpenSearch
from rich.console import Console

from aisle.engine import EngineSettings, ManagedNode, get_engine_settings
from benchmarks.common import data_dir, exported_base_model, load_encoder, median, write_result
from encoders import Backend
from indexer import IndexerSettings, IndexStore, load_products
from indexer.bluegreen import MAPPING
from kernel.catalog import CatalogFormat, RowValidator, read_products
from kernel.catalog.reader import RawRow
from kernel.documents.mappings import load_mapping
from kernel.opensearch import make_client
from kernel.product import Product
from kernel.rejects import RejectLog


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--limit", type=int, default=None, help="products per run (default: all 54,667)")
    parser.add_argument("--backend", type=Backend, default=Backend.ONNX_INT8)
    parser.add_argument("--cores-apart", action="store_true", help="indexer on core 0, the managed node on the rest")
    args = parser.parse_args()

    catalog = data_dir() / "home-depot" / "products.csv.gz"
    engine = get_engine_settings()
    if args.cores_apart:
        _keep_apart(engine)
    encoder = load_encoder(exported_base_model(), args.backend, threads=1 if args.cores_apart else 0)
    settings = IndexerSettings(canary_count=0)
    client = make_client(engine)
    store = IndexStore(client, settings)
    console = Console(stderr=True)

    def rows() -> Iterator[RawRow]:
        return itertools.islice(read_products(catalog, CatalogFormat.HOME_DEPOT), args.limit)

    encode_rates, e2e_rates, merge_seconds, segments, count = [], [], [], [], 0
    encode_cpu, e2e_cpu, engine_cpu = [], [], []
    for run in range(args.repeat):
        validator = RowValidator()
        started, cpu_started = time.perf_counter(), time.process_time()
        batch, count = [], 0
        for row in rows():
            product = validator.validate(row)
            if isinstance(product, Product):
                batch.append(product)
            if len(batch) == settings.encode_batch_size:
                encoder.encode_products(batch)
                count += len(batch)
                batch = []
        if batch:
            encoder.encode_products(batch)
            count += len(batch)
        encode_rates.append(count / (time.perf_counter() - started))
        encode_cpu.append((time.process_time() - cpu_started) * 1000 / count)

        index = f"bench-index-{uuid.uuid4().hex[:8]}"
        body = load_mapping(
            MAPPING,
            meta={},
            shards=1,
            dimension=encoder.dimension,
            hnsw_m=settings.hnsw_m,
            hnsw_ef_construction=settings.hnsw_ef_construction,
        )
        body["settings"]["index"]["refresh_interval"] = "-1"
        store.create_index(index, body)
        try:
            started, cpu_started, engine_started = time.perf_counter(), time.process_time(), _engine_cpu_s(client)
            report = load_products(
                store, encoder, index, rows(), RejectLog(settings.rejects_dir / "bench.jsonl"), settings
            )
            store.refresh(index)
            segments.append(store.segments(index))
            merge_started = time.perf_counter()
            store.force_merge(index, settings.max_segments, settings.merge_timeout_s)
            merge_seconds.append(time.perf_counter() - merge_started)
            e2e_rates.append(report.indexed / (time.perf_counter() - started))
            e2e_cpu.append((time.process_time() - cpu_started) * 1000 / report.indexed)
            engine_cpu.append((_engine_cpu_s(client) - engine_started) * 1000 / report.indexed)
        finally:
            store.delete_index(index)
        console.print(
            f"run {run + 1}/{args.repeat}: encode-only {encode_rates[-1]:,.0f} docs/s, "
            f"end-to-end {e2e_rates[-1]:,.0f} docs/s ({count:,} products; the load left {segments[-1]} "
            f"segments, merging them took {merge_seconds[-1]:.1f} s); CPU ms/doc: encode-only "
            f"{encode_cpu[-1]:.2f}, end-to-end indexer {e2e_cpu[-1]:.2f} "
            f"+ OpenSearch {engine_cpu[-1]:.2f}"
        )

    encode_only, end_to_end = median(encode_rates), median(e2e_rates)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    path = write_result(
        "index_throughput",
        {
            "products": count,
            "repeat": args.repeat,
            "backend": args.backend.value,
            "cores_apart": args.cores_apart,
            "encode_only_docs_per_s": encode_rates,
            "end_to_end_docs_per_s": e2e_rates,
            "median_encode_only": encode_only,
            "median_end_to_end": end_to_end,
            "peak_rss_mib": peak_mib,
            "cpu_ms_per_doc": {
                "encode_only": encode_cpu,
                "end_to_end_indexer": e2e_cpu,
                "end_to_end_opensearch": engine_cpu,
            },
            "opensearch": _engine_version(client),
            "segments_after_load": segments,
            "merge_seconds": merge_seconds,
            "max_segments": settings.max_segments,
        },
    )
    print(f"encode_only_throughput: {encode_only:,.0f} docs/s (median of {args.repeat}, {count:,} products)")
    print(f"peak_memory: {peak_mib:,.0f} MiB (indexer process)")
    print(f"end_to_end_index_throughput: {end_to_end:,.0f} docs/s ({end_to_end / encode_only:.2f}x vs encode-only)")
    print(
        f"cpu_ms_per_doc: encode-only {median(encode_cpu):.2f}; end-to-end indexer {median(e2e_cpu):.2f} "
        f"+ OpenSearch {median(engine_cpu):.2f} (medians)"
    )
    print(f"results: {path}")


def _keep_apart(engine: EngineSettings) -> None:
    """This process (and the encoder threads it starts later) on core 0, the managed node on the rest."""
    cores = set(range(os.cpu_count() or 1))
    if len(cores) < 2:
        raise SystemExit("--cores-apart needs at least two cores.")
    _pin_node(engine, cores - {0})
    # The node gets every core back however the run ends, a `kill` included.
    atexit.register(_pin_node, engine, cores)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    _pin(os.getpid(), {0})


def _pin_node(engine: EngineSettings, cores: set[int]) -> None:
    state = ManagedNode(engine).running_state()
    if engine.url or state is None:
        raise SystemExit("--cores-apart pins the managed node: start it with `aisle opensearch start`.")
    _pin(state.pid, cores)


def _pin(pid: int, cores: set[int]) -> None:
    # Every thread, since affinity is per thread (numpy's BLAS threads start at import); threads started
    # later inherit it.
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(ProcessLookupError):
            os.sched_setaffinity(int(task.name), cores)


def _engine_cpu_s(client: OpenSearch) -> float:
    stats = client.nodes.stats(metric="process")
    return sum(node["process"]["cpu"]["total_in_millis"] for node in stats["nodes"].values()) / 1000


def _engine_version(client: OpenSearch) -> str:
    info = client.info()
    return f"OpenSearch {info['version']['number']}"


if __name__ == "__main__":
    main()
