"""A smaller Home Depot folder that reads like the whole one: for quick real-text checks (the CI relevance gate).

The sample keeps whole queries: every product judged for a kept query is in the sample, so each
kept query's judgments are as complete as in the full data, and the rest of the catalog is filled
with products drawn at random (the distractors BM25 and the encoder must rank below them). Queries
keep their text, so they fall in the same train / dev / test split as in the full data.
"""

from __future__ import annotations

import csv
import gzip
import random
from collections import defaultdict
from pathlib import Path

__all__ = ["sample_home_depot"]

# Most of the sample is judged products (queries are what a gate counts), the rest distractors.
_JUDGED_SHARE = 0.7


def sample_home_depot(folder: Path, out: Path, products: int, seed: int = 0) -> tuple[int, int]:
    """Write `products.csv.gz` and `judgments.csv.gz` of a `products`-product sample of `folder` into `out`.

    Returns the number of products and of queries written.
    """
    with gzip.open(folder / "judgments.csv.gz", "rt", encoding="utf-8", newline="") as file:
        reader = csv.DictReader(file)
        columns = list(reader.fieldnames or [])
        judged: dict[str, list[dict[str, str]]] = defaultdict(list)
        for row in reader:
            judged[row["search_term"]].append(row)
    with gzip.open(folder / "products.csv.gz", "rt", encoding="utf-8", newline="") as file:
        catalog = {row["product_uid"]: row["product_title"] for row in csv.DictReader(file)}
    rng = random.Random(seed)
    queries = sorted(judged)
    rng.shuffle(queries)
    kept: list[str] = []
    chosen: set[str] = set()
    for query in queries:
        wanted = {row["product_uid"] for row in judged[query]} - chosen
        if len(chosen) + len(wanted) > products * _JUDGED_SHARE:
            continue
        kept.append(query)
        chosen |= wanted
    others = sorted(set(catalog) - chosen)
    chosen |= set(rng.sample(others, min(len(others), products - len(chosen))))
    written = sorted(uid for uid in chosen if uid in catalog)  # a few judged ids have no catalog row
    out.mkdir(parents=True, exist_ok=True)
    with gzip.open(out / "products.csv.gz", "wt", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["product_uid", "product_title"])
        writer.writerows((uid, catalog[uid]) for uid in written)
    with gzip.open(out / "judgments.csv.gz", "wt", encoding="utf-8", newline="") as file:
        rows = csv.DictWriter(file, fieldnames=columns)
        rows.writeheader()
        rows.writerows(row for query in sorted(kept) for row in judged[query])
    return len(written), len(kept)
