"""Turn raw catalog rows into products, or into rejections that say which line and why."""

from __future__ import annotations

from pydantic import ValidationError

from kernel.catalog.reader import RawRow
from kernel.product import Product
from kernel.rejects import Rejection

__all__ = ["RowValidator"]

_TOO_LONG = {"string_too_long", "too_long"}


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
    if error["type"] == "id_too_long":
        return "id_too_long", f"{error['msg']}; shorten the id"
    if error["type"] in _TOO_LONG:
        limit = (error.get("ctx") or {}).get("max_length")
        return "oversized_text", f"{field} is longer than {limit} characters"
    if error["type"] == "missing":
        return "missing_field", f"required field {field} is missing"
    if error["type"] == "extra_forbidden":
        return "unknown_field", f"unknown field {field}"
    value = repr(error.get("input"))[:80]
    return "wrong_type", f"{field}: {error['msg']} (got {value})"
