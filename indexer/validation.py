"""Turn raw rows into products, or into rejections that say which line and why."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO

from pydantic import ValidationError

from aisle.product import Product
from indexer.catalog.reader import RawRow

__all__ = ["Rejection", "RejectLog", "RowValidator"]

_TOO_LONG = {"string_too_long", "too_long"}


@dataclass(frozen=True)
class Rejection:
    """A row that did not become a product (or was refused by OpenSearch)."""

    line: int
    product_id: str | None
    code: str
    reason: str

    @classmethod
    def unreadable(cls, row: RawRow) -> Rejection:
        """A row the reader could not parse, with the reader's own code and reason."""
        return cls(row.line, None, row.code or "unreadable", row.problem or "unreadable row")


class RowValidator:
    """Validates rows one at a time and remembers ids, so a repeated id is rejected at its second line.

    Memory grows with the number of distinct ids only (a few dozen bytes each).
    """

    def __init__(self) -> None:
        self._first_line: dict[str, int] = {}

    def validate(self, row: RawRow) -> Product | Rejection:
        """The row's product, or why it is rejected."""
        if row.fields is None:
            return Rejection.unreadable(row)
        raw_id = row.fields.get("id")
        product_id = str(raw_id) if raw_id not in (None, "") else None
        if isinstance(raw_id, int | float) and not isinstance(raw_id, bool):
            row.fields["id"] = str(raw_id)  # numeric ids are common in exports; they are still ids
        try:
            product = Product.model_validate(row.fields)
        except ValidationError as exc:
            return Rejection(row.line, product_id, *_describe(exc))
        first = self._first_line.get(product.id)
        if first is not None:
            return Rejection(
                row.line, product.id, "duplicate_id", f"id {product.id!r} already appeared on line {first}"
            )
        self._first_line[product.id] = row.line
        return product


def _describe(exc: ValidationError) -> tuple[str, str]:
    error = exc.errors()[0]
    field = ".".join(str(part) for part in error["loc"]) or "row"
    if field == "id" and error["type"] in {"missing", "string_too_short"}:
        return "missing_id", "the row has no id"
    if error["type"] in _TOO_LONG:
        limit = (error.get("ctx") or {}).get("max_length")
        return "oversized_text", f"{field} is longer than {limit} characters"
    if error["type"] == "missing":
        return "missing_field", f"required field {field} is missing"
    if error["type"] == "extra_forbidden":
        return "unknown_field", f"unknown field {field}"
    value = repr(error.get("input"))[:80]
    return "wrong_type", f"{field}: {error['msg']} (got {value})"


class RejectLog:
    """Rejections written to a JSONL file as they happen, counted by code.

    Args:
        path: The reject file; created (with its folder) on the first rejection only.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.counts: Counter[str] = Counter()
        self._file: IO[str] | None = None

    def add(self, rejection: Rejection) -> None:
        """Record one rejection."""
        if self._file is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = self.path.open("w", encoding="utf-8")
        self._file.write(json.dumps(asdict(rejection)) + "\n")
        self.counts[rejection.code] += 1

    @property
    def total(self) -> int:
        """Rejections so far."""
        return sum(self.counts.values())

    def close(self) -> None:
        """Flush and close the file."""
        if self._file is not None:
            self._file.close()
            self._file = None
