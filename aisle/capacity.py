"""The capacity plan: workers, nodes, shards, memory and hours for a catalog size, from measured constants.

Measured (committed result files, each from one command): encoding CPU per product, OpenSearch CPU per
product for a whole build, bytes per product by Lucene file kind, for float vectors and for 7-bit Lucene
scalar quantization (`python -m benchmarks.capacity`), and CPU per personalized search
(`python -m benchmarks.api_latency`). Everything else in the plan is projected from those with the
assumptions in `Assumptions`, which the table prints beside the figures.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["Assumptions", "Constants", "Plan", "plan", "plan_table", "read_constants"]


ROOT = Path(__file__).resolve().parent.parent
CONSTANTS = ROOT / "docs" / "results" / "capacity-constants.json"
QUERIES = ROOT / "docs" / "results" / "api-latency.json"
_GB = 1e9


@dataclass(frozen=True)
class Assumptions:
    """What the plan assumes about the hardware and the job (not measured)."""

    window_hours: float = 8.0  # a reindex must finish overnight
    node_cores: int = 16
    node_ram_gb: float = 64.0
    page_cache_share: float = 0.5  # the rest: the JVM heap (at most half) and the OS
    replicas: int = 1
    shard_gb: float = 30.0  # within OpenSearch's 10-50 GB guidance per shard
    peak_qps: float = 200.0
    min_nodes: int = 3  # survives the loss of one (tested on a 3-node cluster)


@dataclass(frozen=True)
class Constants:
    """Measured per-product and per-search costs, one vector variant."""

    variant: str
    encode_cpu_ms: float
    opensearch_cpu_ms: float
    hot_bytes: float  # what k-NN search reads: the vectors it scores and the graph
    disk_bytes: float  # every file, one copy
    search_cpu_ms: float  # API + OpenSearch, one personalized search
    source: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Plan:
    """What a catalog of `products` needs (projected)."""

    products: int
    variant: str
    encode_workers: int
    encode_hours: float
    opensearch_build_cpu_hours: float
    nodes: int
    primaries: int
    hot_gb: float
    disk_gb: float
    build_hours: float
    search_cores: float


def read_constants(constants: Path = CONSTANTS, queries: Path = QUERIES) -> list[Constants]:
    """The measured constants of every variant in the committed result files."""
    measured = json.loads(constants.read_text())
    latency = json.loads(queries.read_text())
    personalized = next(r for r in latency["results"] if r["config"] == "personalized")
    search = personalized["cpu_ms_per_request"]["api"] + personalized["cpu_ms_per_request"]["opensearch"]
    out = []
    for name, variant in measured["variants"].items():
        sizes = variant["bytes_per_product"]
        searched = sizes.get("quantized_vectors", 0.0) if "sq" in name else sizes.get("raw_vectors", 0.0)
        out.append(
            Constants(
                variant=name,
                encode_cpu_ms=measured["encode_cpu_ms_per_product"],
                opensearch_cpu_ms=variant["opensearch_cpu_ms_per_product"],
                hot_bytes=searched + sizes.get("hnsw_graph", 0.0),
                disk_bytes=sum(sizes.values()),
                search_cpu_ms=search,
                source={"constants": constants.name, "queries": queries.name, "data": measured.get("data")},
            )
        )
    return out


def plan(products: int, constants: Constants, assume: Assumptions = Assumptions()) -> Plan:
    """Project what `products` need under `assume`."""
    hour_ms = 3.6e6
    encode_cpu_hours = products * constants.encode_cpu_ms / hour_ms
    workers = max(1, math.ceil(encode_cpu_hours / assume.window_hours))
    build_cpu_hours = products * constants.opensearch_cpu_ms / hour_ms
    copies = 1 + assume.replicas
    hot_gb = products * constants.hot_bytes * copies / _GB
    disk_gb = products * constants.disk_bytes * copies / _GB
    for_memory = math.ceil(hot_gb / (assume.node_ram_gb * assume.page_cache_share))
    for_build = math.ceil(build_cpu_hours / (assume.window_hours * assume.node_cores))
    nodes = max(assume.min_nodes, for_memory, for_build)
    primaries = max(nodes, math.ceil(products * constants.disk_bytes / _GB / assume.shard_gb))
    return Plan(
        products=products,
        variant=constants.variant,
        encode_workers=workers,
        encode_hours=encode_cpu_hours / workers,
        opensearch_build_cpu_hours=build_cpu_hours,
        nodes=nodes,
        primaries=primaries,
        hot_gb=hot_gb,
        disk_gb=disk_gb,
        # Encoding and bulk loading overlap, so the slower of the two sets the wall time.
        build_hours=max(encode_cpu_hours / workers, build_cpu_hours / (nodes * assume.node_cores)),
        search_cores=assume.peak_qps * constants.search_cpu_ms / 1000,
    )


def plan_table(
    sizes: tuple[int, ...] = (1_000_000, 10_000_000, 100_000_000),
    assume: Assumptions = Assumptions(),
    variants: list[Constants] | None = None,
) -> str:
    """The plan as a Markdown table: measured constants first, then the projected needs per size."""
    variants = variants or read_constants()
    plans = [plan(n, c, assume) for n in sizes for c in variants]
    header = [f"{p.products / 1e6:g}M, {p.variant}" for p in plans]
    lines = [f"| | {' | '.join(header)} |", f"|---|{'---|' * len(plans)}"]

    def row(label: str, values: list[str]) -> None:
        lines.append(f"| {label} | {' | '.join(values)} |")

    row("measured: encoding CPU ms / product", [f"{_c(variants, p).encode_cpu_ms:.2f}" for p in plans])
    row("measured: OpenSearch build CPU ms / product", [f"{_c(variants, p).opensearch_cpu_ms:.2f}" for p in plans])
    row("measured: searched bytes / product (vectors + graph)", [f"{_c(variants, p).hot_bytes:,.0f}" for p in plans])
    row("measured: disk bytes / product", [f"{_c(variants, p).disk_bytes:,.0f}" for p in plans])
    row("measured: CPU ms / personalized search", [f"{_c(variants, p).search_cpu_ms:.2f}" for p in plans])
    row(f"projected: encoding workers ({assume.window_hours:g} h window)", [str(p.encode_workers) for p in plans])
    row("projected: encoding hours with them", [f"{p.encode_hours:.1f}" for p in plans])
    row("projected: OpenSearch build CPU hours", [f"{p.opensearch_build_cpu_hours:,.1f}" for p in plans])
    row(f"projected: nodes ({assume.node_cores} cores, {assume.node_ram_gb:g} GB)", [str(p.nodes) for p in plans])
    row(f"projected: primary shards (≤ {assume.shard_gb:g} GB)", [str(p.primaries) for p in plans])
    row(f"projected: searched memory, GB ({assume.replicas} replica)", [f"{p.hot_gb:,.1f}" for p in plans])
    row("projected: disk, GB", [f"{p.disk_gb:,.1f}" for p in plans])
    row("projected: build wall hours", [f"{p.build_hours:.1f}" for p in plans])
    row(f"projected: search cores at {assume.peak_qps:g} QPS (lower bound)", [f"{p.search_cores:.1f}" for p in plans])
    lines += ["", f"Assumed (not measured): {_describe(assume)}."]
    return "\n".join(lines)


def _describe(assume: Assumptions) -> str:
    return (
        f"a reindex within {assume.window_hours:g} h, one CPU core per encoding worker and encoding overlapping "
        f"the bulk load; nodes of {assume.node_cores} cores and {assume.node_ram_gb:g} GB, "
        f"{assume.page_cache_share:.0%} of it page cache that must hold the searched vectors and graphs of every "
        f"copy; {assume.replicas} replica; at least {assume.min_nodes} nodes; primaries of at most "
        f"{assume.shard_gb:g} GB and at least one per node; {assume.peak_qps:g} personalized searches/s at peak, "
        "each costing what it did on a 20,000-product SIMULATED store (a lower bound: HNSW and BM25 work grows "
        "with the catalog)"
    )


def _c(variants: list[Constants], p: Plan) -> Constants:
    return next(c for c in variants if c.variant == p.variant)
