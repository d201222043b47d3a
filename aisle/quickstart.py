"""`aisle up` / `aisle down`: bring the whole aisle stack up on this machine, and take it down.

Today the stack is the managed OpenSearch node and a small sample index; each capability adds its
step here (catalog, encoder, indexer, API) so that one command keeps giving a working system.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources
from typing import TypeVar

from opensearchpy import helpers
from rich.console import Console

from aisle.opensearch import EngineSettings, ManagedNode, make_client, resolve_url
from mappings import load_mapping

__all__ = ["StackReport", "bring_up", "take_down"]

SAMPLE_INDEX = "aisle-sample"
T = TypeVar("T")


@dataclass
class StackReport:
    """What `aisle up` did: the OpenSearch URL and how long each step took."""

    url: str = ""
    steps: list[tuple[str, float]] = field(default_factory=list)


def _timed(report: StackReport, console: Console, name: str, action: Callable[[], T]) -> T:
    console.print(f"[bold]→[/bold] {name}")
    started = time.perf_counter()
    result = action()
    report.steps.append((name, time.perf_counter() - started))
    return result


def bring_up(settings: EngineSettings, console: Console) -> StackReport:
    """Start OpenSearch (unless a cluster URL is configured) and load the sample index."""
    report = StackReport()
    if settings.url is None:
        state = _timed(report, console, "start OpenSearch", lambda: ManagedNode(settings).start(console))
        report.url = state.url
    else:
        report.url = resolve_url(settings)
    _timed(report, console, f"load the sample index '{SAMPLE_INDEX}'", lambda: _load_sample(settings, report.url))
    return report


def take_down(settings: EngineSettings) -> bool:
    """Stop what `bring_up` started. False when nothing was running."""
    return ManagedNode(settings).stop()


def _load_sample(settings: EngineSettings, url: str) -> None:
    client = make_client(settings, url)
    text = resources.files("aisle").joinpath("data", "sample_products.jsonl").read_text(encoding="utf-8")
    products = [json.loads(line) for line in text.splitlines() if line.strip()]
    if client.indices.exists(index=SAMPLE_INDEX):
        client.indices.delete(index=SAMPLE_INDEX)
    client.indices.create(index=SAMPLE_INDEX, body=load_mapping("sample.v1"))
    actions = ({"_index": SAMPLE_INDEX, "_id": p.pop("id"), "_source": p} for p in products)
    helpers.bulk(client, actions, refresh="wait_for")
