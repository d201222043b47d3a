from __future__ import annotations

import hashlib
import json
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from aisle.simulate import StoreConfig, simulate, write_store
from aisle.simulate.taxonomy import load_leaves, singular
from kernel.product import Product

SMALL = StoreConfig(products=3000, shoppers=200, seed=7)


@pytest.fixture(scope="module")
def store():  # type: ignore[no-untyped-def]
    return simulate(SMALL)


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_the_same_seed_writes_the_same_files_and_another_seed_does_not(tmp_path: Path) -> None:
    write_store(simulate(SMALL), tmp_path / "a")
    write_store(simulate(SMALL), tmp_path / "b")
    write_store(simulate(StoreConfig(products=3000, shoppers=200, seed=8)), tmp_path / "c")
    assert _digests(tmp_path / "a") == _digests(tmp_path / "b")
    different = {name for name, digest in _digests(tmp_path / "c").items() if digest != _digests(tmp_path / "a")[name]}
    assert {"catalog.jsonl", "events.jsonl", "sessions.jsonl", "qrels.txt"} <= different


def test_every_product_is_a_valid_catalog_row_under_a_real_taxonomy_leaf(store) -> None:  # type: ignore[no-untyped-def]
    leaves = {leaf.path for leaf in load_leaves()}
    for row in store.products[:500]:
        product = Product.model_validate(row)
        assert tuple(product.category) in leaves
    assert len({p["id"] for p in store.products}) == SMALL.products


def test_sibling_categories_share_brands_so_only_the_noun_tells_them_apart(store) -> None:  # type: ignore[no-untyped-def]
    brands: dict[str, set[str]] = defaultdict(set)
    for row in store.products:
        brands[row["category"][-1]].add(row["brand"])
    saws = [brands[leaf] for leaf in ("Miter Saws", "Table Saws", "Jigsaws") if leaf in brands]
    assert len(saws) >= 2 and set.intersection(*saws)


def test_segments_match_purchase_counts(store) -> None:  # type: ignore[no-untyped-def]
    bought = Counter(e["user_id"] for e in store.events)
    for shopper in store.shoppers:
        n = bought.get(shopper["user_id"], 0)
        assert n == shopper["purchases"]
        assert {"cold": n == 0, "infrequent": 1 <= n <= 4, "frequent": 5 <= n <= 30}[shopper["segment"]]
    assert {s["segment"] for s in store.shoppers} == {"cold", "infrequent", "frequent"}


def test_many_queries_end_in_a_head_noun_that_several_leaves_share(store) -> None:  # type: ignore[no-untyped-def]
    # "bench" or "oakline bench": the words alone cannot say which bench the shopper means.
    heads = Counter(leaf.head for leaf in load_leaves())
    ambiguous = [s for s in store.sessions if heads.get(s["query"].split()[-1], 0) > 1]
    assert len(ambiguous) / len(store.sessions) > 0.5


def test_ground_truth_is_the_purchase_graded_3_in_the_intended_leaf(store) -> None:  # type: ignore[no-untyped-def]
    grades = {(q, d): g for q, d, g in store.qrels}
    category = {p["id"]: " > ".join(p["category"]) for p in store.products}
    for session in store.sessions:
        assert grades[(session["query_id"], session["purchased"])] == 3
        assert category[session["purchased"]] == session["intent"]
    assert all(
        category[d] == next(s["intent"] for s in store.sessions if s["query_id"] == q) for q, d, _ in store.qrels[:300]
    )


PLURALS = [("Benches", "bench"), ("Presses", "press"), ("Hoses", "hose"), ("Accessories", "accessory"), ("Saws", "saw")]


@pytest.mark.parametrize(("plural", "one"), PLURALS)
def test_singular(plural: str, one: str) -> None:
    assert singular(plural) == one


def test_each_search_logs_a_page_with_the_purchase_among_lexical_matches_and_clicks_on_it(store) -> None:  # type: ignore[no-untyped-def]
    heads = {" > ".join(leaf.path): leaf.head for leaf in load_leaves()}
    category = {p["id"]: " > ".join(p["category"]) for p in store.products}
    clicked_beyond_purchase = 0
    for session in store.sessions:
        shown, clicked = session["shown"], set(session["clicked"])
        assert session["purchased"] in shown and session["purchased"] in clicked
        assert len(shown) == len(set(shown)) <= 12
        assert clicked <= set(shown)
        # A keyword engine's page: every shown product's leaf shares the query's head noun.
        assert {heads[category[p]] for p in shown} == {heads[session["intent"]]}
        clicked_beyond_purchase += len(clicked) - 1
    assert clicked_beyond_purchase > 0


def test_demographics_shape_tastes_and_are_known_for_cold_shoppers_too(tmp_path: Path) -> None:
    with_profiles = StoreConfig(products=3000, shoppers=600, seed=7, demographics=True)
    write_store(simulate(SMALL), tmp_path / "plain")
    files = write_store(simulate(with_profiles), tmp_path / "profiled")
    assert "profiles.jsonl" not in _digests(tmp_path / "plain")
    shoppers = [json.loads(line) for line in files["shoppers.jsonl"].read_text().splitlines()]
    profiles = [json.loads(line) for line in files["profiles.jsonl"].read_text().splitlines()]
    assert [p["user_id"] for p in profiles] == [s["user_id"] for s in shoppers]  # cold shoppers have one too
    assert {s["segment"] for s in shoppers} >= {"cold"}

    def share(rows: list[dict], where, what) -> float:  # type: ignore[no-untyped-def, type-arg]
        chosen = [r for r in rows if where(r)]
        return sum(bool(what(r)) for r in chosen) / len(chosen)

    pros, diy = (lambda s: s["customer_type"] == "pro"), (lambda s: s["customer_type"] == "diy")
    assert (
        share(shoppers, pros, lambda s: s["tier"] == "premium")
        > share(shoppers, diy, lambda s: s["tier"] == "premium") + 0.3
    )
    families = sorted({f for s in shoppers for f in s["families"]})
    for i, region in enumerate(["north", "south", "east", "west"]):
        home = families[i % len(families)]
        inside = share(shoppers, lambda s, r=region: s["region"] == r, lambda s, h=home: h in s["families"])
        outside = share(shoppers, lambda s, r=region: s["region"] != r, lambda s, h=home: h in s["families"])
        assert inside > outside + 0.2, (region, inside, outside)


def test_popularity_is_the_units_the_purchase_histories_bought(store) -> None:  # type: ignore[no-untyped-def]
    units: Counter[str] = Counter()
    for event in store.events:
        units[event["product_id"]] += event["quantity"]
    assert {p["id"]: p["popularity"] for p in store.products} == {p["id"]: units[p["id"]] for p in store.products}
    assert sum(units.values()) > 0
    # The searches' own purchases are the judgments: none of them counts.
    bought_in_searches = Counter(s["purchased"] for s in store.sessions)
    only_searched = [p for p in bought_in_searches if p not in units]
    assert only_searched and all(
        next(x for x in store.products if x["id"] == p)["popularity"] == 0 for p in only_searched
    )
