"""Stream raw rows out of a catalog file, one problem per bad row and never a crash.

Memory stays flat in catalog size: files are read line by line (Parquet batch by batch). A row
that cannot even be parsed (invalid UTF-8, malformed JSON, a CSV row with too many fields) comes
out as a `RawRow` with a `problem`, so the validator can reject it with its line number.
"""

from __future__ import annotations

import csv
import gzip
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, cast

from kernel.errors import CatalogError

__all__ = ["RawRow", "open_binary", "read_rows"]

PARQUET_BATCH_ROWS = 1024


@dataclass(frozen=True)
class RawRow:
    """One row as read: its line number (row number for Parquet) and fields, or why it is unreadable."""

    line: int
    fields: dict[str, Any] | None
    problem: str | None = None
    code: str | None = None


def open_binary(path: Path) -> BinaryIO:
    """The file's bytes, gunzipped when it ends in `.gz`.

    Raises:
        CatalogError: the file does not exist or cannot be opened.
    """
    try:
        if path.suffix == ".gz":
            return cast(BinaryIO, gzip.open(path, "rb"))
        return path.open("rb")
    except OSError as exc:
        raise CatalogError(f"Cannot open catalog {path}: {exc.strerror or exc}. Check the path.") from exc


def read_rows(path: Path, kind: str) -> Iterator[RawRow]:
    """Rows of a `jsonl`, `csv` or `parquet` file.

    Raises:
        CatalogError: unknown kind, or the file cannot be opened.
    """
    if kind == "jsonl":
        return _jsonl_rows(path)
    if kind == "csv":
        return _csv_rows(path)
    if kind == "parquet":
        return _parquet_rows(path)
    raise CatalogError(f"Unknown catalog kind {kind!r}; use jsonl, csv or parquet.")


def _jsonl_rows(path: Path) -> Iterator[RawRow]:
    with open_binary(path) as source:
        for number, raw in enumerate(source, start=1):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield RawRow(number, None, f"invalid UTF-8 at byte {exc.start} of the line", "invalid_utf8")
                continue
            if not text.strip():
                continue
            try:
                value = json.loads(text)
            except json.JSONDecodeError as exc:
                yield RawRow(number, None, f"malformed JSON: {exc.msg} at column {exc.colno}", "malformed_json")
                continue
            if not isinstance(value, dict):
                yield RawRow(number, None, f"expected a JSON object, got {type(value).__name__}", "malformed_json")
                continue
            yield RawRow(number, value)


def _csv_rows(path: Path) -> Iterator[RawRow]:
    bad_lines: dict[int, str] = {}

    def decoded(source: Iterable[bytes]) -> Iterator[str]:
        for number, raw in enumerate(source, start=1):
            try:
                yield raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                bad_lines[number] = f"invalid UTF-8 at byte {exc.start} of line {number}"
                yield raw.decode("utf-8", errors="replace")

    with open_binary(path) as source:
        reader = csv.DictReader(decoded(source))
        first_line = 2  # the header is line 1
        for record in reader:
            last_line = reader.line_num
            lines = range(first_line, last_line + 1)
            start, first_line = first_line, last_line + 1
            problems = [bad_lines.pop(n) for n in lines if n in bad_lines]
            if problems:
                yield RawRow(start, None, problems[0], "invalid_utf8")
            elif None in record:
                yield RawRow(
                    start,
                    None,
                    f"{len(reader.fieldnames or []) + len(record[None])} fields, but the "
                    f"header has {len(reader.fieldnames or [])}",
                    "malformed_row",
                )
            else:
                yield RawRow(start, {k: v for k, v in record.items() if v not in ("", None)})


def _parquet_rows(path: Path) -> Iterator[RawRow]:
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except (OSError, ValueError) as exc:
        raise CatalogError(f"Cannot read Parquet catalog {path}: {exc}.") from exc
    number = 0
    for batch in parquet.iter_batches(batch_size=PARQUET_BATCH_ROWS):
        for row in batch.to_pylist():
            number += 1
            yield RawRow(number, {k: v for k, v in row.items() if v is not None})
