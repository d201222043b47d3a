"""Rows that did not make it, each with its line and reason, written as they happen.

Catalog rows, purchase events and shopper profiles are all rejected this way, so every input
aisle reads reports its bad rows in the same JSONL shape (`line`, `product_id`, `code`, `reason`).
"""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO

from kernel.catalog.reader import RawRow
from kernel.errors import OutputError

__all__ = ["Rejection", "RejectLog"]


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


class RejectLog:
    """Rejections written to a JSONL file as they happen, counted by code.

    Args:
        path: The reject file; created (with its folder) on the first rejection only.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.counts: Counter[str] = Counter()
        self._file: IO[str] | None = None

    def check_writable(self) -> None:
        """Make sure the file can be written, before a long run finds out at its first rejection.

        Raises:
            OutputError: the folder cannot be created or written to.
        """
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=self.path.parent, prefix=".aisle-write-check-"):
                pass
        except OSError as exc:
            raise self._unwritable(exc) from exc

    def _unwritable(self, exc: OSError) -> OutputError:
        return OutputError(
            f"Rejected rows cannot be written to {self.path} ({exc.strerror or exc}). Point "
            "AISLE_INDEXER_REJECTS_DIR at a folder this user can write, e.g. AISLE_INDEXER_REJECTS_DIR=/tmp/rejects."
        )

    def add(self, rejection: Rejection) -> None:
        """Record one rejection.

        Raises:
            OutputError: the file cannot be written.
        """
        if self._file is None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._file = self.path.open("w", encoding="utf-8")
            except OSError as exc:
                raise self._unwritable(exc) from exc
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
