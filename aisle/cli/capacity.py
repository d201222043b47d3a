"""`aisle capacity`: the capacity plan for catalog sizes, from the committed measured constants."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from aisle.capacity import CONSTANTS, QUERIES, Assumptions, plan_table, read_constants
from aisle.cli.console import out

__all__ = ["capacity_command"]

_DEFAULT = Assumptions()


def capacity_command(
    products: Annotated[
        list[int] | None, typer.Option("--products", help="Catalog sizes to plan for (repeat the option).")
    ] = None,
    window_hours: Annotated[float, typer.Option(help="Hours a full reindex may take.")] = _DEFAULT.window_hours,
    node_cores: Annotated[int, typer.Option(help="vCPUs per OpenSearch node.")] = _DEFAULT.node_cores,
    node_ram_gb: Annotated[float, typer.Option(help="RAM per OpenSearch node, GB.")] = _DEFAULT.node_ram_gb,
    replicas: Annotated[int, typer.Option(min=0, help="Replicas per primary shard.")] = _DEFAULT.replicas,
    peak_qps: Annotated[float, typer.Option(help="Personalized searches per second at peak.")] = _DEFAULT.peak_qps,
    constants: Annotated[Path, typer.Option(help="Measured index constants (benchmarks.capacity).")] = CONSTANTS,
    queries: Annotated[Path, typer.Option(help="Measured search costs (benchmarks.api_latency).")] = QUERIES,
) -> None:
    """Workers, nodes, shards, memory and hours for catalog sizes: measured constants, projected needs."""
    assume = Assumptions(
        window_hours=window_hours,
        node_cores=node_cores,
        node_ram_gb=node_ram_gb,
        replicas=replicas,
        peak_qps=peak_qps,
    )
    sizes = tuple(products or (1_000_000, 10_000_000, 100_000_000))
    measured = read_constants(constants, queries)
    out.print(plan_table(sizes, assume, measured), markup=False, highlight=False)
    source = measured[0].source
    out.print(
        f"\nmeasured: {source['data']} ({constants}), search CPU from {queries}; everything marked projected "
        "follows from them and the assumptions above.",
        markup=False,
        highlight=False,
    )
