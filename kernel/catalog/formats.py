"""Catalog formats: which reader, and how its columns map onto the product schema."""

from __future__ import annotations

import json
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import Any

from kernel.catalog.reader import RawRow, read_rows
from kernel.errors import CatalogError
from kernel.product import Product

__all__ = ["CatalogFormat", "detect_format", "read_products"]

# The schema's own fields; every other column of a row is kept as an `extra` keyword.
PRODUCT_FIELDS = set(Product.model_fields) - {"extra"}
ATTRIBUTE_PREFIX = "attr."


class CatalogFormat(StrEnum):
    """Supported catalog layouts."""

    JSONL = "jsonl"  # aisle's product schema, one JSON object per line (the simulated store writes this)
    CSV = "csv"  # the same fields as columns; `attr.<key>` columns become attributes
    PARQUET = "parquet"  # the same fields as Parquet columns
    HOME_DEPOT = "home-depot"  # Kaggle Home Depot products.csv(.gz): product_uid, product_title


# Column renames per format; columns not in the schema are kept as `extra` keywords.
_RENAMES: dict[CatalogFormat, dict[str, str]] = {
    CatalogFormat.HOME_DEPOT: {"product_uid": "id", "product_title": "title"},
}
_READER_KIND = {
    CatalogFormat.JSONL: "jsonl",
    CatalogFormat.CSV: "csv",
    CatalogFormat.PARQUET: "parquet",
    CatalogFormat.HOME_DEPOT: "csv",
}


def detect_format(path: Path) -> CatalogFormat:
    """The format a file name implies (`.jsonl`, `.csv`, `.parquet`, optionally `.gz`).

    Raises:
        CatalogError: the name implies none.
    """
    name = path.name.removesuffix(".gz")
    for suffix, found in (
        (".jsonl", CatalogFormat.JSONL),
        (".ndjson", CatalogFormat.JSONL),
        (".csv", CatalogFormat.CSV),
        (".parquet", CatalogFormat.PARQUET),
    ):
        if name.endswith(suffix):
            return found
    raise CatalogError(
        f"Cannot tell the format of {path.name}; name it .jsonl, .csv or .parquet (optionally .gz), "
        f"or pass --format ({', '.join(f.value for f in CatalogFormat)})."
    )


def read_products(path: Path, fmt: CatalogFormat | None = None) -> Iterator[RawRow]:
    """Rows of the catalog with fields in aisle's product schema (not yet validated)."""
    fmt = fmt or detect_format(path)
    renames = _RENAMES.get(fmt, {})
    for row in read_rows(path, _READER_KIND[fmt]):
        if row.fields is None:
            yield row
            continue
        yield RawRow(row.line, _to_schema(row.fields, renames))


def _to_schema(fields: dict[str, Any], renames: dict[str, str]) -> dict[str, Any]:
    product: dict[str, Any] = {}
    attributes: dict[str, Any] = {}
    extra: dict[str, str] = {}
    for key, value in fields.items():
        key = renames.get(key, key)
        if key in PRODUCT_FIELDS:
            product[key] = value
        elif key.startswith(ATTRIBUTE_PREFIX):
            attributes[key.removeprefix(ATTRIBUTE_PREFIX)] = value
        else:
            extra[key] = value if isinstance(value, str) else json.dumps(value)
    if attributes:
        product["attributes"] = {**attributes, **(product.get("attributes") or {})}
    if isinstance(product.get("attributes"), str):
        # CSV cells carry the attribute map as JSON text; a non-object stays as is for the validator.
        try:
            product["attributes"] = json.loads(product["attributes"])
        except json.JSONDecodeError:
            pass
    if extra:
        product["extra"] = extra
    return product
