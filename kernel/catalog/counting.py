"""Count a catalog's rows cheaply, so the progress bar can show an ETA."""

from __future__ import annotations

from pathlib import Path

from kernel.catalog.formats import CatalogFormat, detect_format
from kernel.catalog.reader import STREAM_ERRORS, broken_stream, open_binary

__all__ = ["count_rows"]


def count_rows(path: Path, fmt: CatalogFormat | None = None) -> int | None:
    """Data rows in the file (newlines, less a CSV header; Parquet metadata); None if unknown.

    Raises:
        CatalogError: the file cannot be opened, or breaks off (a truncated gzip).
    """
    fmt = fmt or detect_format(path)
    if fmt is CatalogFormat.PARQUET:
        import pyarrow.parquet as pq

        return int(pq.ParquetFile(path).metadata.num_rows)
    lines = 0
    with open_binary(path) as source:
        try:
            while chunk := source.read(1 << 20):
                lines += chunk.count(b"\n")
        except STREAM_ERRORS as exc:
            raise broken_stream(path, lines, exc) from exc
    return max(lines - 1, 0) if fmt in (CatalogFormat.CSV, CatalogFormat.HOME_DEPOT) else lines
