"""Purchase events and shopper profiles, validated once for every reader (indexing, training, evaluation).

An event row names a user, a product and a time (quantity and event type optional); any other column
is a demographic of that user. A profile row is a user id plus demographic columns (a CRM export),
cold shoppers included. Malformed rows are rejected with their line and reason, never guessed.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kernel.catalog.reader import RawRow, read_rows
from kernel.rejects import Rejection, RejectLog

__all__ = ["EventLog", "PurchaseEvent", "read_event_file", "read_event_log", "read_events", "read_profiles"]


class PurchaseEvent(BaseModel):
    """One purchase (or other event) of one user; other columns become demographics."""

    model_config = ConfigDict(extra="allow", frozen=True)

    user_id: str = Field(min_length=1, max_length=256)
    product_id: str = Field(min_length=1, max_length=256)
    timestamp: dt.datetime
    quantity: int = Field(default=1, ge=1)
    event: str = "purchase"


@dataclass
class EventLog:
    """Events by shopper (in file order), the demographic columns they carried, and the rows read."""

    histories: dict[str, list[PurchaseEvent]] = field(default_factory=lambda: defaultdict(list))
    demographics: dict[str, dict[str, str]] = field(default_factory=lambda: defaultdict(dict))
    rows: int = 0


def read_event_file(path: Path) -> Iterator[RawRow]:
    """Rows of an events or profiles file: `.jsonl` or `.csv` (optionally `.gz`)."""
    name = path.name.removesuffix(".gz")
    return read_rows(path, "csv" if name.endswith(".csv") else "jsonl")


def read_event_log(path: Path, rejects: RejectLog) -> EventLog:
    """`read_events` over an events file."""
    return read_events(read_event_file(path), rejects)


def read_events(rows: Iterable[RawRow], rejects: RejectLog) -> EventLog:
    """Validated events grouped by shopper; a timestamp without a zone is read as UTC."""
    log = EventLog()
    for row in rows:
        log.rows += 1
        if row.fields is None:
            rejects.add(Rejection.unreadable(row))
            continue
        fields = {k: (str(v) if k in ("user_id", "product_id") else v) for k, v in row.fields.items()}
        try:
            event = PurchaseEvent.model_validate(fields)
        except ValidationError as exc:
            error = exc.errors()[0]
            where = ".".join(str(p) for p in error["loc"])
            rejects.add(Rejection(row.line, fields.get("user_id"), "bad_event", f"{where}: {error['msg']}"))
            continue
        if event.timestamp.tzinfo is None:
            event = event.model_copy(update={"timestamp": event.timestamp.replace(tzinfo=dt.UTC)})
        log.histories[event.user_id].append(event)
        log.demographics[event.user_id].update({k: str(v) for k, v in (event.model_extra or {}).items()})
    return log


def read_profiles(rows: Iterable[RawRow], rejects: RejectLog) -> tuple[dict[str, dict[str, str]], int]:
    """Shopper profiles as user → {field: value} (empty values left out), and the rows read."""
    profiles: dict[str, dict[str, str]] = {}
    read = 0
    for row in rows:
        read += 1
        if row.fields is None:
            rejects.add(Rejection.unreadable(row))
            continue
        user_id = str(row.fields.get("user_id") or "").strip()
        if not user_id:
            rejects.add(Rejection(row.line, None, "bad_profile", "user_id: missing; every profile row needs one"))
            continue
        profiles[user_id] = {k: str(v) for k, v in row.fields.items() if k != "user_id" and v not in (None, "")}
    return profiles, read
