"""read → validate → encode in batches → bulk index, with encoding and bulk requests overlapping.

A worker thread validates and encodes batches into a bounded queue while the caller's thread
feeds them to opensearch-py's streaming bulk. Encoders release the GIL inside torch / ONNX
Runtime, so the two overlap on two cores, and the bounded queue keeps memory flat.
"""

from __future__ import annotations

import hashlib
import heapq
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from rich.progress import Progress

from encoders import Encoder
from indexer.settings import IndexerSettings
from indexer.store import IndexStore
from kernel.catalog.reader import RawRow
from kernel.catalog.validation import RowValidator
from kernel.documents.products import to_document
from kernel.errors import EngineUnreachableError
from kernel.product import Product
from kernel.progress import LineProgress
from kernel.rejects import Rejection, RejectLog

__all__ = ["CanarySample", "LoadReport", "bulk_actions", "load_products", "record_bulk_item"]

_END = object()
T = TypeVar("T")


@dataclass
class LoadReport:
    """What one load did."""

    index: str
    read: int = 0
    accepted: int = 0
    indexed: int = 0
    bulk_failures: int = 0
    seconds: float = 0.0
    canaries: list[Product] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        """Rows that were not indexed, for any reason."""
        return self.read - self.indexed

    @property
    def docs_per_second(self) -> float:
        """End-to-end indexing rate."""
        return self.indexed / self.seconds if self.seconds else 0.0


class CanarySample(Generic[T]):
    """A uniform sample of accepted products for the canary gate: the `size` with the smallest id hashes.

    Deterministic, one pass, and mergeable, so a distributed load picks the same canaries as a local one.
    Chosen by id alone, so an item may be any form of the product (a worker keeps its JSON, unparsed).
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._heap: list[tuple[int, str, T]] = []  # max-heap by negated hash

    def offer(self, product_id: str, item: T) -> None:
        """Keep `item` if its product's id hash is among the `size` smallest seen."""
        if not self.size:
            return
        key = -int.from_bytes(hashlib.blake2b(product_id.encode(), digest_size=8).digest(), "big")
        if len(self._heap) < self.size:
            heapq.heappush(self._heap, (key, product_id, item))
        elif key > self._heap[0][0]:
            heapq.heapreplace(self._heap, (key, product_id, item))

    def items(self) -> list[tuple[str, T]]:
        """The sample as (id, item), smallest hash first."""
        return [(product_id, item) for _, product_id, item in sorted(self._heap, reverse=True)]


def bulk_actions(index: str, products: list[Product], vectors: Iterable[Any]) -> list[dict[str, Any]]:
    """The bulk index actions of encoded products: stable `_id`s, so a repeated action overwrites, never adds."""
    return [
        {"_index": index, "_id": p.id, "_source": to_document(p, v)} for p, v in zip(products, vectors, strict=True)
    ]


def record_bulk_item(
    ok: bool, item: dict[str, Any], line: int, report: LoadReport, reject: Callable[[Rejection], None]
) -> None:
    """Count one bulk result; a refused document becomes a `bulk_failed` rejection with OpenSearch's answer.

    Raises:
        EngineUnreachableError: the item has no HTTP status: the node is gone (stop rather than encode the rest).
    """
    result = next(iter(item.values()))
    product_id = str(result.get("_id"))
    if ok:
        report.indexed += 1
        return
    report.bulk_failures += 1
    status = result.get("status")
    reject(Rejection(line, product_id, "bulk_failed", f"OpenSearch answered {status}: {result.get('error')}"))
    if not isinstance(status, int):
        raise EngineUnreachableError(
            f"OpenSearch stopped answering during bulk indexing into {report.index} ({result.get('error')}); "
            "the alias was not moved."
        )


@dataclass
class _Batch:
    actions: list[dict[str, Any]]
    lines: dict[str, int]


def load_products(
    store: IndexStore,
    encoder: Encoder,
    index: str,
    rows: Iterable[RawRow],
    rejects: RejectLog,
    settings: IndexerSettings,
    *,
    expected_rows: int | None = None,
    progress: Progress | LineProgress | None = None,
) -> LoadReport:
    """Index every valid row into `index`; every other row goes to `rejects` with its reason.

    Raises:
        EngineUnreachableError: OpenSearch stopped answering (the load stops at once).
    """
    report = LoadReport(index)
    batches: queue.Queue[_Batch | BaseException | object] = queue.Queue(maxsize=settings.pipeline_depth)
    stop = threading.Event()
    worker = threading.Thread(
        target=_encode_batches,
        args=(rows, encoder, index, rejects, settings, report, batches, stop),
        name="aisle-encode",
        daemon=True,
    )
    lines: dict[str, int] = {}

    def actions() -> Iterator[dict[str, Any]]:
        while True:
            item = batches.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            assert isinstance(item, _Batch)
            lines.update(item.lines)
            yield from item.actions

    task = progress.add_task(f"indexing {index}", total=expected_rows) if progress else None
    started = time.perf_counter()
    worker.start()
    try:
        for ok, item in store.bulk(actions()):
            record_bulk_item(ok, item, lines.pop(str(next(iter(item.values())).get("_id")), 0), report, rejects.add)
            if progress is not None and task is not None:
                progress.update(task, completed=report.read)
    finally:
        stop.set()
        _drain(batches)
        worker.join()
        report.seconds = time.perf_counter() - started
    return report


def _encode_batches(
    rows: Iterable[RawRow],
    encoder: Encoder,
    index: str,
    rejects: RejectLog,
    settings: IndexerSettings,
    report: LoadReport,
    batches: queue.Queue[_Batch | BaseException | object],
    stop: threading.Event,
) -> None:
    validator = RowValidator()
    canaries: CanarySample[Product] = CanarySample(settings.canary_count)
    pending: list[tuple[int, Product]] = []

    def flush() -> None:
        products = [p for _, p in pending]
        actions = bulk_actions(index, products, encoder.encode_products(products))
        _put(batches, _Batch(actions, {p.id: line for line, p in pending}), stop)
        pending.clear()

    try:
        for row in rows:
            if stop.is_set():
                return
            report.read += 1
            outcome = validator.validate(row)
            if isinstance(outcome, Rejection):
                rejects.add(outcome)
                continue
            report.accepted += 1
            canaries.offer(outcome.id, outcome)
            pending.append((row.line, outcome))
            if len(pending) >= settings.encode_batch_size:
                flush()
        if pending:
            flush()
        report.canaries = [product for _, product in canaries.items()]
        _put(batches, _END, stop)
    except BaseException as exc:  # handed to the bulk side, which re-raises it in the caller's thread
        _put(batches, exc, stop)


def _put(batches: queue.Queue[_Batch | BaseException | object], item: object, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            batches.put(item, timeout=0.1)
            return
        except queue.Full:
            continue


def _drain(batches: queue.Queue[_Batch | BaseException | object]) -> None:
    while True:
        try:
            batches.get_nowait()
        except queue.Empty:
            return
