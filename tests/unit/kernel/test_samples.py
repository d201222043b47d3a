from __future__ import annotations

import csv
import gzip
from pathlib import Path

from kernel.data import read_home_depot_ratings
from kernel.data.samples import sample_home_depot


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    with gzip.open(path, "wt", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        writer.writerows(rows)


def test_a_sample_keeps_whole_queries_and_fills_up_with_distractors(tmp_path: Path) -> None:
    full = tmp_path / "full"
    full.mkdir()
    _write(full / "products.csv.gz", ["product_uid", "product_title"], [[str(i), f"title {i}"] for i in range(200)])
    judged = [
        [str(q * 3 + k), str(q * 3 + k), f"title {q * 3 + k}", f"query {q}", "2.5"] for q in range(30) for k in range(3)
    ]
    _write(full / "judgments.csv.gz", ["id", "product_uid", "product_title", "search_term", "relevance"], judged)
    products, queries = sample_home_depot(full, tmp_path / "sample", 40, seed=1)
    with gzip.open(tmp_path / "sample" / "products.csv.gz", "rt") as file:
        kept = {row["product_uid"] for row in csv.DictReader(file)}
    ratings = read_home_depot_ratings(tmp_path / "sample" / "judgments.csv.gz")
    assert products == len(kept) == 40 and queries == len(ratings) == 40 * 7 // 10 // 3
    # Each kept query has all three of its judgments, and all their products are in the sample.
    assert all(len(judged) == 3 and set(judged) <= kept for judged in ratings.values())
    assert len(kept - {p for judged in ratings.values() for p in judged}) == 40 - 3 * queries
    assert sample_home_depot(full, tmp_path / "again", 40, seed=1) == (products, queries)
