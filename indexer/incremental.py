"""Daily updates into the live index: upserts and deletes by id, re-encoding only what changed.

Each incoming product is compared with the stored one by two digests: `content_hash` (everything
the vector and text fields depend on) and `commerce_hash` (price, currency, availability). Same
content and same commerce: skipped. Same content, new commerce: a partial update, no encoding.
New or changed content: encoded and indexed in full.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from encoders import Encoder
from indexer.store import IndexStore
from kernel.catalog.reader import RawRow
from kernel.catalog.validation import RowValidator
from kernel.documents.products import commerce_fields, commerce_hash, content_hash, to_document
from kernel.product import Product
from kernel.rejects import Rejection, RejectLog

__all__ = ["UpdateReport", "apply_updates"]

BATCH = 500


@dataclass
class UpdateReport:
    """What an incremental update did."""

    index: str
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
    index: str,
    rows: Iterable[RawRow],
    deletes: Iterable[str],
    rejects: RejectLog,
) -> UpdateReport:
    """Upsert the valid rows and delete `deletes` in `index` (the live index); rejects are logged."""
    report = UpdateReport(index)
    validator = RowValidator()
    batch: list[tuple[int, Product]] = []
    for row in rows:
        outcome = validator.validate(row)
        if isinstance(outcome, Rejection):
            rejects.add(outcome)
            continue
        batch.append((row.line, outcome))
        if len(batch) >= BATCH:
            _upsert(store, encoder, index, batch, rejects, report)
            batch = []
    if batch:
        _upsert(store, encoder, index, batch, rejects, report)
    _delete(store, index, list(deletes), rejects, report)
    store.refresh(index)
    return report


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
