from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from kernel.catalog import CatalogFormat, read_products
from kernel.catalog.counting import count_rows
from kernel.catalog.formats import detect_format
from kernel.errors import CatalogError


def _lines(path: Path) -> list[tuple[int, dict | None, str | None]]:
    return [(r.line, r.fields, r.code) for r in read_products(path)]


def test_jsonl_rows_keep_their_line_numbers_and_problems(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    path.write_bytes(b'{"id": "1", "title": "Drill"}\n\n{"id": 2\n[1]\n{"id": "3", "title": "Bad \xff"}\n')
    assert _lines(path) == [
        (1, {"id": "1", "title": "Drill"}, None),
        (3, None, "malformed_json"),
        (4, None, "malformed_json"),
        (5, None, "invalid_utf8"),
    ]


def test_unknown_columns_become_extra_keywords_and_attr_columns_attributes(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text('id,title,attr.color,supplier,category\n1,Drill,red,ACME,"Tools > Drills"\n')
    (row,) = read_products(path)
    assert row.fields == {
        "id": "1",
        "title": "Drill",
        "attributes": {"color": "red"},
        "extra": {"supplier": "ACME"},
        "category": "Tools > Drills",
    }


def test_csv_multiline_records_report_their_first_line(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_bytes(b'id,title\n1,"Long\ntitle"\n2,Saw,extra\n3,Bad \xff\n4,Hammer\n')
    assert _lines(path) == [
        (2, {"id": "1", "title": "Long\ntitle"}, None),
        (4, None, "malformed_row"),
        (5, None, "invalid_utf8"),
        (6, {"id": "4", "title": "Hammer"}, None),
    ]


def test_home_depot_columns_are_renamed_and_gzip_is_read(tmp_path: Path) -> None:
    path = tmp_path / "products.csv.gz"
    with gzip.open(path, "wt") as out:
        out.write("product_uid,product_title\n100001,Simpson Strong-Tie 12-Gauge Angle\n")
    (row,) = read_products(path, CatalogFormat.HOME_DEPOT)
    assert row.fields == {"id": "100001", "title": "Simpson Strong-Tie 12-Gauge Angle"}
    assert count_rows(path, CatalogFormat.HOME_DEPOT) == 1


def test_parquet_rows_are_streamed(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "c.parquet"
    pq.write_table(pa.table({"id": ["1", "2"], "title": ["Drill", "Saw"], "price": [9.5, None]}), path)
    assert [r.fields for r in read_products(path)] == [
        {"id": "1", "title": "Drill", "price": 9.5},
        {"id": "2", "title": "Saw"},
    ]
    assert count_rows(path) == 2


def test_attribute_json_in_a_csv_cell_is_parsed(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text('id,title,attributes\n1,Drill,"{""voltage"": ""18V""}"\n')
    assert next(read_products(path)).fields == {"id": "1", "title": "Drill", "attributes": {"voltage": "18V"}}


def test_an_unknown_extension_asks_for_a_format(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="pass --format"):
        detect_format(tmp_path / "catalog.xml")


def test_a_missing_file_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match="Cannot open catalog .*missing.jsonl"):
        list(read_products(tmp_path / "missing.jsonl"))


def test_jsonl_round_trips_the_product_schema(tmp_path: Path) -> None:
    product = {
        "id": "9",
        "title": "Bench",
        "category": ["Garden", "Benches"],
        "attributes": {"wood": "cedar"},
        "price": 99,
    }
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps(product) + "\n")
    assert next(read_products(path)).fields == product


def test_a_truncated_gzip_catalog_is_a_catalog_error_naming_the_file_and_line(tmp_path: Path) -> None:
    import gzip

    path = tmp_path / "catalog.jsonl.gz"
    rows = "".join(json.dumps({"id": str(i), "title": f"Product number {i} " * 5}) + "\n" for i in range(3000))
    whole = gzip.compress(rows.encode())
    path.write_bytes(whole[: len(whole) // 2])
    read = []
    with pytest.raises(CatalogError, match=r"catalog\.jsonl\.gz.* (ends early|is corrupt).* after line \d+"):
        for row in read_products(path):
            read.append(row)
    assert 0 < len(read) < 3000


def test_a_csv_row_with_an_unbalanced_quote_is_rejected_and_the_next_rows_kept(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text('id,title\n1,"Cordless Drill\n2,Circular Saw\n3,Claw Hammer\n')
    rows = list(read_products(path))
    assert [(r.line, r.code) for r in rows if r.fields is None] == [(2, "malformed_quote")]
    assert [r.fields for r in rows if r.fields] == [
        {"id": "2", "title": "Circular Saw"},
        {"id": "3", "title": "Claw Hammer"},
    ]


def test_a_quote_closed_in_the_middle_of_a_field_is_rejected_alone(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text('id,title\n1,"Drill\n2,"Saw" blade\n3,Hammer\n')
    rows = list(read_products(path))
    assert [(r.line, r.code) for r in rows if r.fields is None] == [(2, "malformed_quote"), (3, "malformed_quote")]
    assert [r.fields for r in rows if r.fields] == [{"id": "3", "title": "Hammer"}]


def test_a_quoted_field_may_still_span_lines(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text('id,title,description\n1,Drill,"Two speeds.\nKeyless chuck."\n2,Saw,Sharp\n')
    rows = list(read_products(path))
    assert [r.line for r in rows] == [2, 4]
    assert rows[0].fields == {"id": "1", "title": "Drill", "description": "Two speeds.\nKeyless chuck."}
