"""Build throughput of the local path against Ray with 1 and 2 encoding workers, in one run.

    python -m benchmarks.ray_build [--products 10000] [--repeat 3]

Each run is a whole `build_index` of a SIMULATED catalog (read → validate → encode → bulk → refresh →
force merge → gates → alias swap) into a fresh index, the three loaders alternating so that drifts of the
machine's speed hit all of them; medians are compared with the local path's. docs/s counts the load step
(`LoadReport.docs_per_second`: read to last bulk answer); the build's wall time is reported beside it.
Ray's start-up (a local Ray in this process, a CPU per worker plus one) is timed once, apart.

Ray's servers listen on every interface of the machine, so the benchmark runs itself in a network
namespace holding only `lo` (root, or user namespaces, and `ip` needed), with an OpenSearch node of its
own started inside; nothing it does can be reached from, or reach, outside 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

_INSIDE = "AISLE_BENCH_ISOLATED"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--products", type=int, default=10_000, help="SIMULATED catalog size")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if os.environ.get(_INSIDE) != "1":
        sys.exit(_isolated())
    _run(args.products, args.repeat)


def _isolated() -> int:
    from aisle.engine import EngineSettings, find_java, install_distribution

    settings = EngineSettings(url=None)
    env = {k: v for k, v in os.environ.items() if k != "AISLE_OPENSEARCH_URL"}
    env.update({_INSIDE: "1", "AISLE_OPENSEARCH_VERSION": install_distribution(settings, find_java(settings)).version})
    namespace = ["unshare", "--net"] if os.geteuid() == 0 else ["unshare", "--map-current-user", "--net"]
    inner = 'ip link set lo up && exec "$0" -m benchmarks.ray_build "$@"'
    return subprocess.call([*namespace, "--", "sh", "-c", inner, sys.executable, *sys.argv[1:]], env=env)


def _run(products: int, repeat: int) -> None:
    import ray
    from rich.console import Console

    from aisle.engine import EngineSettings, ManagedNode, free_port
    from aisle.simulate.store import StoreConfig, simulate
    from benchmarks.common import exported_base_model, median, write_result
    from encoders import Backend, EncoderSettings, load_encoder
    from encoders.loading import batch_settings
    from indexer import IndexerSettings, IndexStore, build_index
    from indexer.distributed import RayLoader
    from kernel.opensearch import ConnectionSettings, make_client

    console = Console(stderr=True)
    work = Path(tempfile.mkdtemp(prefix="aisle-ray-bench-"))
    # A directory of its own: the node may run as another user, who owns it.
    node_dir = Path(tempfile.mkdtemp(prefix="aisle-ray-bench-node-"))
    node = ManagedNode(EngineSettings(url=None, port=free_port()), node_dir)
    try:
        url = node.start(console).url
        catalog = work / "catalog.jsonl"
        with catalog.open("w") as file:
            for row in simulate(StoreConfig(products=products, shoppers=10, seed=11)).products:
                file.write(json.dumps(row) + "\n")
        encoder_settings = batch_settings(EncoderSettings(model_dir=exported_base_model(), backend=Backend.ONNX_INT8))
        encoder = load_encoder(encoder_settings)
        connection = ConnectionSettings(url=url)
        store = IndexStore(make_client(connection), IndexerSettings())
        started = time.perf_counter()
        ray.init(num_cpus=3, include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR)
        ray_start_s = time.perf_counter() - started
        loaders: dict[str, Any] = {
            "local": None,
            "ray-1": RayLoader(None, 1, encoder_settings, connection),
            "ray-2": RayLoader(None, 2, encoder_settings, connection),
        }
        rates: dict[str, list[float]] = {name: [] for name in loaders}
        walls: dict[str, list[float]] = {name: [] for name in loaders}
        for run in range(repeat):
            for name, loader in loaders.items():
                settings = IndexerSettings(alias=f"bench-{name}", rejects_dir=work / "rejects", keep_indices=1)
                started = time.perf_counter()
                report = build_index(store, encoder, catalog, settings, console=Console(quiet=True), loader=loader)
                walls[name].append(time.perf_counter() - started)
                rates[name].append(report.load.docs_per_second)
                assert report.load.indexed == products, report.load
                console.print(
                    f"run {run + 1}/{repeat} {name}: {rates[name][-1]:,.0f} docs/s load, build {walls[name][-1]:.1f} s"
                )
        medians = {name: median(values) for name, values in rates.items()}
        payload = {
            "data": "SIMULATED catalog (aisle.simulate, seed 11)",
            "products": products,
            "repeat": repeat,
            "machine_cpus": os.cpu_count(),
            "ray_start_s": ray_start_s,
            "docs_per_s": rates,
            "build_wall_s": walls,
            "median_docs_per_s": medians,
            "median_build_wall_s": {name: median(values) for name, values in walls.items()},
            "ratio_to_local": {name: medians[name] / medians["local"] for name in medians},
        }
        path = write_result("ray_build", payload)
        console.print(
            f"SIMULATED {products:,} products, medians of {repeat}: "
            + ", ".join(f"{n} {medians[n]:,.0f} docs/s ({payload['ratio_to_local'][n]:.2f}x)" for n in medians)
            + f"; Ray start {ray_start_s:.1f} s; {path}"
        )
    finally:
        ray.shutdown()
        node.stop()
        shutil.rmtree(work, ignore_errors=True)
        shutil.rmtree(node_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
