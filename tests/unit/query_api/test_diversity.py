from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from query_api.search.diversity import names_a_brand, spread_brands


def test_a_page_of_one_brand_gives_way_to_others_and_loses_nothing() -> None:
    order = ["a1", "a2", "a3", "a4", "b1", "a5", "c1", "b2"]
    brand = {i: i[0].upper() for i in order}
    spread = spread_brands(order, brand, window=4, most=2)
    assert spread[:4] == ["a1", "a2", "b1", "c1"]
    assert spread[4:] == ["a3", "a4", "a5", "b2"]


def test_too_few_brands_fill_the_window_in_order() -> None:
    order = ["a1", "a2", "a3", "b1"]
    assert spread_brands(order, {i: i[0] for i in order}, window=4, most=1) == ["a1", "b1", "a2", "a3"]


def test_products_without_a_brand_never_count() -> None:
    order = ["x1", "x2", "x3"]
    assert spread_brands(order, {"x1": None, "x2": "", "x3": None}, window=3, most=1) == order


@given(st.lists(st.sampled_from("abc"), max_size=30), st.integers(1, 12), st.integers(1, 4))
def test_it_is_a_permutation_with_the_limit_kept_where_it_can_be(brands: list[str], window: int, most: int) -> None:
    order = [f"{b}{i}" for i, b in enumerate(brands)]
    spread = spread_brands(order, {i: i[0] for i in order}, window, most)
    assert sorted(spread) == sorted(order)
    first = [i[0] for i in spread[:window]]
    # Within the limit, the window holds as many hits as the brands on offer can give it.
    within = sum(min(first.count(b), most) for b in set(first))
    assert within == min(len(first), sum(min(brands.count(b), most) for b in set(brands)))


def test_a_query_naming_a_brand_is_left_alone() -> None:
    assert names_a_brand("ryobi cordless drill", ["DEWALT", "RYOBI"])
    assert not names_a_brand("cordless drill", ["DEWALT", "RYOBI", None])
    assert names_a_brand("black and decker drill", ["BLACK+DECKER"])
