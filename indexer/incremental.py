"""Daily updates into the live index: upserts and deletes by id, re-encoding only what changed.

Each incoming product is compared with the stored one by two digests: `content_hash` (everything
the vector and text fields depend on) and `commerce_hash` (price, currency, availability). Same
content and same commerce: skipped. Same content, new commerce: a partial update, no encoding.
New or changed content: encoded and indexed in full.

The whole file is read and validated first, and only then written: a file that breaks off, or holds
more bad rows than `max_reject_rate` allows, changes nothing in the live index. The update holds the
alias's lease, so no build swaps the index away while it writes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from encoders import Encoder
from indexer.errors import RejectRateError
from indexer.guard import check_encoder
from indexer.lease import AliasLease
from indexer.settings import IndexerSettings
from indexer.store import IndexStore
from kernel.catalog import CatalogFormat, RowValidator, read_products
from kernel.documents.products import commerce_fields, commerce_hash, content_hash, to_document
from kernel.product import Product
from kernel.rejects import Rejection, RejectLog

__all__ = ["UpdateReport", "apply_updates"]

BATCH = 500


@dataclass
class UpdateReport:
    """What an incremental update did."""

    index: str
    rejects_path: Path | None = None
    rejected: int = 0
    created: int = 0
    reencoded: int = 0
    partial: int = 0
    unchanged: int = 0
    deleted: int = 0
    not_found: int = 0
    failed: int = 0


def apply_updates(
    store: IndexStore,
    encoder: Encoder,
    catalog: Path,
    deletes: Iterable[str],
    settings: IndexerSettings,
    *,
    fmt: CatalogFormat | None = None,
) -> UpdateReport:
    """Upsert the valid rows of `catalog` and delete `deletes` in the index live behind `settings.alias`.

    Rejected rows go to `<rejects_dir>/<index>.update-<UTC time>.rejects.jsonl`, one file per run.

    Raises:
        CatalogError: the catalog cannot be read to its end (nothing was written).
        RejectRateError: more rows were rejected than `max_reject_rate` allows (nothing was written).
        AliasError, FingerprintMismatchError: no alias, or one built with another encoder.
        AliasBusyError: another process is changing the alias.
    """
    with AliasLease(store, settings.alias, settings.lease_ttl_s) as lease:
        index = check_encoder(store, settings.alias, encoder.fingerprint)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dt%H%M%S%f")
        rejects = RejectLog(settings.rejects_dir / f"{index}.update-{stamp}.rejects.jsonl")
        rejects.check_writable()
        report = UpdateReport(index, rejects.path)
        try:
            _validate_all(catalog, fmt, rejects, settings, report)
            batch: list[tuple[int, Product]] = []
            for line, product in _valid(catalog, fmt):
                batch.append((line, product))
                if len(batch) >= BATCH:
                    _upsert(store, encoder, index, batch, rejects, report)
                    batch = []
            if batch:
                _upsert(store, encoder, index, batch, rejects, report)
            _delete(store, index, list(deletes), rejects, report)
            lease.check()
            store.refresh(index)
        finally:
            rejects.close()
        report.rejected = rejects.total
        return report


def _validate_all(
    catalog: Path, fmt: CatalogFormat | None, rejects: RejectLog, settings: IndexerSettings, report: UpdateReport
) -> None:
    """Read the whole file before anything is written: every bad row to `rejects`, then the reject rate."""
    validator, read = RowValidator(), 0
    for row in read_products(catalog, fmt):
        read += 1
        outcome = validator.validate(row)
        if isinstance(outcome, Rejection):
            rejects.add(outcome)
    if read and rejects.total / read > settings.max_reject_rate:
        rejects.close()
        raise RejectRateError(
            f"{rejects.total} of {read} rows of {catalog} were rejected, more than --max-reject-rate "
            f"{settings.max_reject_rate:.1%}; nothing was written to {report.index}. Each row and its reason "
            f"is in {rejects.path}.",
            rejects.path,
        )


def _valid(catalog: Path, fmt: CatalogFormat | None) -> Iterable[tuple[int, Product]]:
    validator = RowValidator()
    for row in read_products(catalog, fmt):
        outcome = validator.validate(row)
        if isinstance(outcome, Product):
            yield row.line, outcome


def _upsert(
    store: IndexStore,
    encoder: Encoder,
    index: str,
    batch: list[tuple[int, Product]],
    rejects: RejectLog,
    report: UpdateReport,
) -> None:
    stored = store.get_many(index, [p.id for _, p in batch], ["content_hash", "commerce_hash"])
    to_encode: list[Product] = []
    actions: list[dict[str, Any]] = []
    for _, product in batch:
        old = stored.get(product.id)
        if old is None or old.get("content_hash") != content_hash(product):
            to_encode.append(product)
            report.created += old is None
            report.reencoded += old is not None
        elif old.get("commerce_hash") != commerce_hash(product):
            actions.append({"_op_type": "update", "_index": index, "_id": product.id, "doc": commerce_fields(product)})
            report.partial += 1
        else:
            report.unchanged += 1
    if to_encode:
        vectors = encoder.encode_products(to_encode)
        actions += [
            {"_index": index, "_id": p.id, "_source": to_document(p, v)}
            for p, v in zip(to_encode, vectors, strict=True)
        ]
    lines = {p.id: line for line, p in batch}
    _send(store, actions, lines, rejects, report)


def _delete(store: IndexStore, index: str, ids: list[str], rejects: RejectLog, report: UpdateReport) -> None:
    actions = [{"_op_type": "delete", "_index": index, "_id": i} for i in ids]
    for ok, item in store.bulk(actions):
        result = item["delete"]
        if ok:
            report.deleted += 1
        elif result.get("status") == 404:
            report.not_found += 1
            rejects.add(
                Rejection(0, str(result.get("_id")), "delete_not_found", "no product with this id in the index")
            )
        else:
            report.failed += 1
            rejects.add(Rejection(0, str(result.get("_id")), "bulk_failed", f"delete failed: {result.get('error')}"))


def _send(
    store: IndexStore,
    actions: list[dict[str, Any]],
    lines: dict[str, int],
    rejects: RejectLog,
    report: UpdateReport,
) -> None:
    for ok, item in store.bulk(actions):
        if not ok:
            result = next(iter(item.values()))
            product_id = str(result.get("_id"))
            report.failed += 1
            rejects.add(Rejection(lines.get(product_id, 0), product_id, "bulk_failed", f"{result.get('error')}"))
