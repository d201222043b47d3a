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
