from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from kernel.catalog.reader import RawRow
from kernel.catalog.validation import RowValidator
from kernel.documents.products import commerce_fields, commerce_hash, content_hash
from kernel.product import Product
from kernel.rejects import Rejection, RejectLog


def _check(fields: dict | None, problem: str | None = None, code: str | None = None) -> Product | Rejection:
    return RowValidator().validate(RawRow(7, fields, problem, code))


def test_a_good_row_becomes_a_product_with_its_category_split() -> None:
    product = _check({"id": 12, "title": "Drill", "category": "Tools > Drills", "price": "19.99"})
    assert isinstance(product, Product)
    assert (product.id, product.category, product.price) == ("12", ["Tools", "Drills"], 19.99)


def test_each_reject_reason_has_its_code_and_line() -> None:
    cases = {
        "missing_id": {"title": "No id"},
        "wrong_type": {"id": "1", "title": "Drill", "price": "cheap"},
        "oversized_text": {"id": "1", "title": "x" * 1001},
    }
    for code, fields in cases.items():
        rejection = _check(fields)
        assert isinstance(rejection, Rejection) and (rejection.code, rejection.line) == (code, 7), rejection
    unreadable = _check(None, "malformed JSON: Expecting value", "malformed_json")
    assert unreadable == Rejection(7, None, "malformed_json", "malformed JSON: Expecting value")


def test_a_negative_price_and_an_empty_title_are_wrong() -> None:
    assert isinstance(_check({"id": "1", "title": "Drill", "price": -1}), Rejection)
    assert isinstance(_check({"id": "1", "title": "   "}), Rejection)


def test_a_repeated_id_is_rejected_at_its_second_line() -> None:
    validator = RowValidator()
    assert isinstance(validator.validate(RawRow(1, {"id": "a", "title": "Drill"})), Product)
    second = validator.validate(RawRow(5, {"id": "a", "title": "Drill again"}))
    assert second == Rejection(5, "a", "duplicate_id", "id 'a' already appeared on line 1")


def test_the_reject_log_writes_every_rejection_and_counts_codes(tmp_path: Path) -> None:
    log = RejectLog(tmp_path / "out" / "r.jsonl")
    log.add(Rejection(3, None, "missing_id", "the row has no id"))
    log.add(Rejection(4, "x", "missing_id", "the row has no id"))
    log.close()
    lines = [json.loads(line) for line in (tmp_path / "out" / "r.jsonl").read_text().splitlines()]
    assert lines[1] == {"line": 4, "product_id": "x", "code": "missing_id", "reason": "the row has no id"}
    assert (log.total, dict(log.counts)) == (2, {"missing_id": 2})


def test_no_rejections_write_no_file(tmp_path: Path) -> None:
    log = RejectLog(tmp_path / "r.jsonl")
    log.close()
    assert not log.path.exists()


@pytest.mark.parametrize("change", [{"price": 8.0}, {"popularity": 40.0}])
def test_price_and_popularity_changes_move_only_the_commerce_hash(change: dict[str, float]) -> None:
    base = Product(id="1", title="Drill", price=10, popularity=3)
    changed = base.model_copy(update=change)
    renamed = base.model_copy(update={"title": "Hammer drill"})
    assert content_hash(base) == content_hash(changed) and commerce_hash(base) != commerce_hash(changed)
    assert content_hash(base) != content_hash(renamed) and commerce_hash(base) == commerce_hash(renamed)
    assert commerce_fields(changed).items() >= change.items()  # what the partial update writes


def test_a_negative_popularity_is_refused() -> None:
    with pytest.raises(ValidationError, match="popularity"):
        Product(id="1", title="Drill", popularity=-1)


def test_an_id_over_opensearchs_512_bytes_is_rejected_although_it_has_few_characters() -> None:
    rejection = _check({"id": "🛠" * 200, "title": "Emoji id"})  # 200 characters, 800 bytes of UTF-8
    assert isinstance(rejection, Rejection)
    assert (rejection.code, rejection.line) == ("id_too_long", 7)
    assert "800 bytes" in rejection.reason and "512" in rejection.reason
    assert isinstance(_check({"id": "é" * 256, "title": "Just fits"}), Product)  # 512 bytes


def test_an_infinite_or_nan_price_is_rejected_not_stored_as_null() -> None:
    for price in ("Infinity", "inf", "NaN", float("inf")):
        rejection = _check({"id": "1", "title": "Drill", "price": price})
        assert isinstance(rejection, Rejection) and rejection.code == "wrong_type", price
        assert "price" in rejection.reason


def test_a_rejects_folder_that_cannot_be_written_is_an_output_error_naming_the_setting(tmp_path: Path) -> None:
    import pytest

    from kernel.errors import OutputError

    blocked = tmp_path / "a-file"
    blocked.write_text("")
    log = RejectLog(blocked / "rejects" / "r.jsonl")
    with pytest.raises(OutputError, match=r"a-file/rejects.*AISLE_INDEXER_REJECTS_DIR"):
        log.check_writable()
    with pytest.raises(OutputError, match="AISLE_INDEXER_REJECTS_DIR"):
        log.add(Rejection(3, "p1", "missing_id", "the row has no id"))
