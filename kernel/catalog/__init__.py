"""Catalog files in, validated products out: JSONL, CSV and Parquet (gzip welcome), streamed row by row."""

from __future__ import annotations

from kernel.catalog.counting import count_rows
from kernel.catalog.formats import CatalogFormat, detect_format, read_products
from kernel.catalog.reader import RawRow, read_rows
from kernel.catalog.validation import RowValidator

__all__ = ["CatalogFormat", "RawRow", "RowValidator", "count_rows", "detect_format", "read_products", "read_rows"]
