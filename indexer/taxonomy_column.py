"""Add a taxonomy column to a catalog that has none (Home Depot): `aisle index assign-taxonomy`."""

from __future__ import annotations

import csv
import gzip
from dataclasses import dataclass, field
from pathlib import Path

from encoders.taxonomy_assignment import TaxonomyAssigner
from kernel.catalog.formats import CatalogFormat, read_products
from kernel.product import CATEGORY_SEPARATOR

__all__ = ["TaxonomyColumnReport", "write_taxonomy_column"]

COLUMNS = ["id", "title", "category", "category_confidence"]


@dataclass
class TaxonomyColumnReport:
    """What an assignment run did: products filed, leaves used, rows skipped (line → reason)."""

    assigned: int = 0
    leaves: int = 0
    median_confidence: float = 0.0
    skipped: dict[int, str] = field(default_factory=dict)


def write_taxonomy_column(
    catalog: Path, catalog_format: CatalogFormat | None, assigner: TaxonomyAssigner, out_file: Path
) -> TaxonomyColumnReport:
    """Write `id, title, category, category_confidence` as CSV (gzip when the name ends in .gz).

    The output reads back as an aisle CSV catalog, so training and indexing see the assigned leaves
    as ordinary categories. Rows without an id or title are skipped and reported, never guessed.
    """
    report = TaxonomyColumnReport()
    rows = []
    for row in read_products(catalog, catalog_format):
        fields = row.fields or {}
        if row.fields is None or not str(fields.get("id") or "").strip() or not str(fields.get("title") or "").strip():
            report.skipped[row.line] = row.problem or "no id or no title; add them or drop the row"
            continue
        rows.append((str(fields["id"]), str(fields["title"])))
    assignments = assigner.assign([title for _, title in rows])
    out_file.parent.mkdir(parents=True, exist_ok=True)
    with (
        gzip.open(out_file, "wt", encoding="utf-8", newline="")
        if out_file.suffix == ".gz"
        else out_file.open("w", encoding="utf-8", newline="")
    ) as file:
        writer = csv.writer(file)
        writer.writerow(COLUMNS)
        for (product_id, title), assignment in zip(rows, assignments, strict=True):
            writer.writerow([product_id, title, CATEGORY_SEPARATOR.join(assignment.leaf), assignment.confidence])
    confidences = sorted(a.confidence for a in assignments)
    report.assigned = len(assignments)
    report.leaves = len({a.leaf for a in assignments})
    report.median_confidence = confidences[len(confidences) // 2] if confidences else 0.0
    return report
