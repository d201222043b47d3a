"""The capacity plan's arithmetic, on constants chosen here (the committed ones are only read and rendered)."""

from __future__ import annotations

import math

from aisle.capacity import Assumptions, Constants, plan, plan_table, read_constants

FLOAT = Constants("float", encode_cpu_ms=3.0, opensearch_cpu_ms=1.0, hot_bytes=1600, disk_bytes=2500, search_cpu_ms=8)
SQ = Constants("sq7", encode_cpu_ms=3.0, opensearch_cpu_ms=1.2, hot_bytes=500, disk_bytes=2900, search_cpu_ms=8)


def test_a_plan_follows_from_its_constants_and_assumptions() -> None:
    assume = Assumptions(window_hours=8, node_cores=16, node_ram_gb=64, replicas=1, shard_gb=30, peak_qps=100)
    p = plan(100_000_000, FLOAT, assume)
    # 100M × 3 ms = 83.3 CPU hours of encoding: 11 workers to finish in 8 hours.
    assert p.encode_workers == math.ceil(100e6 * 3 / 3.6e6 / 8) == 11
    assert p.encode_hours <= 8
    # Two copies of 1,600 searched bytes: 320 GB, over 32 GB of page cache per node: 10 nodes.
    assert p.hot_gb == 320 and p.nodes == 10
    assert p.primaries == max(10, math.ceil(100e6 * 2500 / 1e9 / 30))
    assert p.search_cores == 0.8


def test_plans_grow_with_the_catalog_and_quantization_shrinks_memory() -> None:
    small, large = plan(1_000_000, FLOAT), plan(10_000_000, FLOAT)
    assert large.opensearch_build_cpu_hours == 10 * small.opensearch_build_cpu_hours
    assert large.hot_gb == 10 * small.hot_gb
    assert plan(10_000_000, SQ).hot_gb < large.hot_gb
    assert small.nodes >= Assumptions().min_nodes


def test_the_committed_constants_render_a_plan_marking_measured_and_projected_rows() -> None:
    variants = read_constants()
    assert {c.variant for c in variants} >= {"float", "sq7"}
    table = plan_table(variants=variants)
    assert "1M, float" in table.splitlines()[0]
    labels = [line.split("|")[1].strip() for line in table.splitlines()[2:] if line.startswith("|")]
    assert len(labels) >= 10 and all(label.startswith(("measured:", "projected:")) for label in labels)
    assert "Assumed (not measured):" in table
