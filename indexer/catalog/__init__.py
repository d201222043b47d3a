"""Catalog files in, rows out: JSONL, CSV and Parquet (gzip welcome), streamed row by row."""

from __future__ import annotations

from indexer.catalog.adapters import CatalogFormat, read_products
from indexer.catalog.reader import RawRow, read_rows

__all__ = ["CatalogFormat", "RawRow", "read_products", "read_rows"]
