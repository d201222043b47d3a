"""Stream raw rows out of a catalog file, one problem per bad row and never a crash.

Memory stays flat in catalog size: files are read line by line (Parquet batch by batch). A row
that cannot even be parsed (invalid UTF-8, malformed JSON, a CSV row with too many fields or a
broken quote) comes out as a `RawRow` with a `problem`, so the validator can reject it with its
line number. A file that breaks off (a truncated or corrupt gzip stream) is a `CatalogError` naming
the last line read, raised before the rows it would have held are taken for the whole file.
"""

from __future__ import annotations

import csv
import gzip
import json
import zlib
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, cast

from kernel.errors import CatalogError

__all__ = ["STREAM_ERRORS", "RawRow", "broken_stream", "open_binary", "read_rows"]

PARQUET_BATCH_ROWS = 1024
# A quoted CSV field may span lines (a description with line breaks), but one that is still open after
# this many lines is taken for a quote that was never closed.
MAX_RECORD_LINES = 200


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


# What a truncated or corrupt gzip stream raises while it is read.
STREAM_ERRORS = (EOFError, zlib.error, gzip.BadGzipFile, OSError)


def broken_stream(path: Path, after_line: int, exc: BaseException) -> CatalogError:
    """The error for a file that broke off after `after_line` lines (a short file is never taken for a whole one)."""
    return CatalogError(
        f"{path} ends early or is corrupt after line {after_line} ({type(exc).__name__}: {exc}); it was not read "
        "to the end, so nothing from it is switched live. Copy or download it again."
    )


def _lines(path: Path, source: BinaryIO) -> Iterator[tuple[int, bytes]]:
    """The file's lines with their numbers; a stream that breaks off is a CatalogError, not a short file."""
    number = 0
    try:
        for raw in source:
            number += 1
            yield number, raw
    except STREAM_ERRORS as exc:
        raise broken_stream(path, number, exc) from exc


def _jsonl_rows(path: Path) -> Iterator[RawRow]:
    with open_binary(path) as source:
        for number, raw in _lines(path, source):
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
    with open_binary(path) as source:
        lines = _decoded(_lines(path, source))
        try:
            _, header_text, _ = next(lines)
        except StopIteration:
            return
        header = next(csv.reader([header_text]))
        pending: deque[tuple[int, str, str | None]] = deque()
        while True:
            try:
                first = pending.popleft() if pending else next(lines)
            except StopIteration:
                return
            used = [first]
            record, problem = _one_record(first, used, pending, lines)
            if problem is not None:
                # Give the lines the broken record swallowed back: the next record starts on the line after.
                pending.extendleft(reversed(used[1:]))
                yield RawRow(first[0], None, problem, "malformed_quote")
                continue
            bad_utf8 = next((bad for _, _, bad in used if bad), None)
            assert record is not None
            if bad_utf8:
                yield RawRow(first[0], None, bad_utf8, "invalid_utf8")
            elif len(record) > len(header):
                yield RawRow(first[0], None, f"{len(record)} fields, but the header has {len(header)}", "malformed_row")
            elif record:
                yield RawRow(first[0], {k: v for k, v in zip(header, record, strict=False) if v != ""})


def _decoded(lines: Iterator[tuple[int, bytes]]) -> Iterator[tuple[int, str, str | None]]:
    """(number, text, problem): invalid UTF-8 is decoded with replacement characters and reported."""
    for number, raw in lines:
        try:
            yield number, raw.decode("utf-8"), None
        except UnicodeDecodeError as exc:
            yield number, raw.decode("utf-8", errors="replace"), f"invalid UTF-8 at byte {exc.start} of line {number}"


def _one_record(
    first: tuple[int, str, str | None],
    used: list[tuple[int, str, str | None]],
    pending: deque[tuple[int, str, str | None]],
    lines: Iterator[tuple[int, str, str | None]],
) -> tuple[list[str] | None, str | None]:
    """One CSV record from `first` on, read strictly: a quote left open, or closed mid-field, is its problem."""

    def feed() -> Iterator[str]:
        yield first[1]
        while len(used) < MAX_RECORD_LINES:
            try:
                line = pending.popleft() if pending else next(lines)
            except StopIteration:
                return
            used.append(line)
            yield line[1]

    try:
        return next(csv.reader(feed(), strict=True)), None
    except csv.Error as exc:
        return None, f"malformed quoting ({exc}); the quote opened on this line is never closed where it should be"
    except StopIteration:
        return [], None


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
