"""The search API against a real node, the real model and a hand-written catalog."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from query_api.settings import QueryApiSettings
from tests.support.catalogs import PRODUCTS

TITLES = {p["id"]: p["title"] for p in PRODUCTS}


def _get(api: TestClient, **params: Any) -> dict[str, Any]:
    response = api.get("/search", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _ids(body: dict[str, Any]) -> list[str]:
    return [hit["id"] for hit in body["hits"]]


@pytest.mark.parametrize("mode", ["bm25", "dense", "hybrid"])
def test_every_mode_finds_drills_for_a_drill_query(api: TestClient, mode: str) -> None:
    body = _get(api, q="cordless drill", mode=mode, size=3)
    assert body["mode_used"] == mode
    assert {"p01", "p02"} & set(_ids(body))
    assert body["personalization"]["applied"] is False


def test_personalized_search_applies_a_known_shoppers_history(api: TestClient) -> None:
    body = _get(api, q="bench", user_id="gardener", size=3)
    assert (body["mode"], body["mode_used"]) == ("personalized", "personalized")
    assert body["personalization"] == {
        "requested": True,
        "applied": True,
        "reason": "purchase history applied",
        "history_size": 5,
        "demographics_applied": False,
    }


def test_the_same_ambiguous_query_ranks_differently_for_different_shoppers(api: TestClient) -> None:
    gardener = _ids(_get(api, q="bench", user_id="gardener", size=10))
    handyman = _ids(_get(api, q="bench", user_id="handyman", size=10))
    anonymous = _ids(_get(api, q="bench", mode="hybrid", size=10))
    # p08 is the cedar garden bench, p09 the steel workbench: each shopper's kind comes first.
    assert gardener.index("p08") < gardener.index("p09")
    assert handyman.index("p09") < handyman.index("p08")
    assert anonymous.index("p08") < anonymous.index("p09"), "without history the garden bench leads"


@pytest.mark.parametrize(
    ("user", "reason"),
    [
        (None, "no user_id was given"),
        ("stranger", "unknown user"),
        ("ghost", "no purchase history (cold user)"),
        ("newcomer", "no purchase history (cold user)"),  # a profile, but this model has no demographic offsets
    ],
)
def test_personalized_falls_back_to_hybrid_and_says_why(api: TestClient, user: str | None, reason: str) -> None:
    body = _get(api, q="bench", **({"user_id": user} if user else {}))
    assert body["mode_used"] == "hybrid"
    assert body["personalization"]["applied"] is False and body["personalization"]["reason"] == reason
    assert _ids(body) == _ids(_get(api, q="bench", mode="hybrid"))


def test_a_blank_user_id_is_an_anonymous_search(api: TestClient) -> None:
    for blank in ("", "  "):
        assert _get(api, q="bench", user_id=blank)["personalization"]["reason"] == "no user_id was given"
    response = api.post("/search", json={"q": "bench", "user_id": ""})
    assert response.status_code == 200 and response.json()["personalization"]["reason"] == "no user_id was given"


@pytest.mark.parametrize("fusion", ["minmax", "rrf"])
def test_both_fusions_run_inside_opensearch(api: TestClient, fusion: str) -> None:
    body = _get(api, q="garden hose", mode="hybrid", fusion=fusion, size=5)
    assert body["fusion"] == fusion and body["fused_in"] == "opensearch"
    assert _ids(body)[0] == "p11"


@pytest.mark.parametrize("fusion", ["minmax", "rrf"])
@pytest.mark.parametrize("query", ["cordless drill", "bench", "paint for the deck", "light"])
def test_service_side_fusion_gives_the_same_top_results(
    api: TestClient, api_fusing_in_service: TestClient, fusion: str, query: str
) -> None:
    in_opensearch = _get(api, q=query, mode="hybrid", fusion=fusion, size=5)
    in_service = _get(api_fusing_in_service, q=query, mode="hybrid", fusion=fusion, size=5)
    assert in_service["fused_in"] == "service"
    assert _ranking(in_service) == _ranking(in_opensearch)


def _ranking(body: dict[str, Any]) -> list[tuple[float, frozenset[str]]]:
    # Equal scores may come in either order (OpenSearch breaks ties by internal doc id), so the
    # comparison is by score, and by the set of products sharing each score. Scores within 1e-4 are
    # equal: the service and OpenSearch add the same float terms in different orders.
    groups: list[tuple[float, set[str]]] = []
    for hit in body["hits"]:
        if groups and abs(groups[-1][0] - hit["score"]) < 1e-4:
            groups[-1][1].add(hit["id"])
        else:
            groups.append((hit["score"], {hit["id"]}))
    return [(round(score, 3), frozenset(ids)) for score, ids in groups]


def test_the_equivalence_check_can_tell_rankings_apart(api: TestClient) -> None:
    # Negative control for the test above: different weights do change the order it compares.
    lexical_heavy = _ids(_get(api, q="paint for the deck", mode="hybrid", lexical_weight=0.95, size=5))
    semantic_heavy = _ids(_get(api, q="paint for the deck", mode="hybrid", lexical_weight=0.05, size=5))
    assert lexical_heavy != semantic_heavy


def test_custom_weights_run_through_a_temporary_pipeline(api: TestClient, api_fusing_in_service: TestClient) -> None:
    params = {"q": "cordless drill", "mode": "hybrid", "lexical_weight": 0.8, "size": 5}
    assert _ids(_get(api, **params)) == _ids(_get(api_fusing_in_service, **params))


@pytest.mark.parametrize("mode", ["bm25", "hybrid", "dense"])
def test_page_two_continues_page_one(api: TestClient, mode: str) -> None:
    page1 = _ids(_get(api, q="cordless tools", mode=mode, size=4))
    page2 = _ids(_get(api, q="cordless tools", mode=mode, size=4, **{"from": 4}))
    both = _ids(_get(api, q="cordless tools", mode=mode, size=8))
    assert not set(page1) & set(page2)
    assert page1 + page2 == both


def test_category_filter_works_at_any_depth(api: TestClient) -> None:
    tools = _get(api, q="cordless", category="Tools", size=20)
    power = _get(api, q="cordless", category="Tools > Power Tools", size=20)
    saws = _get(api, q="cordless", category="Tools > Power Tools > Saws", size=20)
    assert all(h["category"].startswith("Tools") for h in tools["hits"])
    assert {h["category"] for h in saws["hits"]} == {"Tools > Power Tools > Saws"}
    assert set(_ids(saws)) < set(_ids(power)) <= set(_ids(tools))


def test_brand_price_and_availability_filters(api: TestClient) -> None:
    assert {h["brand"] for h in _get(api, q="cordless", brand=["Ryobi"], size=20)["hits"]} == {"Ryobi"}
    priced = _get(api, q="cordless", price="100-200", size=20)["hits"]
    assert priced and all(100 <= h["price"] <= 200 for h in priced)
    assert _ids(_get(api, q="cordless", availability=["out_of_stock"], size=20)) == ["p03"]
    on_sale = set(_ids(_get(api, q="cordless", availability=["in_stock", "preorder"], size=20)))
    assert {"p01", "p13"} <= on_sale and "p03" not in on_sale
    both = _get(api, q="cordless", brand=["Ryobi", "Makita"], price="-150", size=20)["hits"]
    assert {h["id"] for h in both} == {"p05", "p13"}


def test_facets_count_categories_below_the_filter_brands_prices_and_stock(api: TestClient) -> None:
    facets = _get(
        api, q="cordless", mode="bm25", facets=["category", "brand", "price", "availability"], category="Tools"
    )["facets"]
    assert {b["value"] for b in facets["category"]} == {"Tools > Power Tools"}
    assert {b["value"]: b["count"] for b in facets["brand"]}["Ryobi"] == 1
    assert sum(b["count"] for b in facets["price"]) == sum(b["count"] for b in facets["availability"])
    assert {b["value"]: b["count"] for b in facets["availability"]} == {"in_stock": 3, "out_of_stock": 1}


def test_category_facets_below_categories_with_regexp_characters(api: TestClient) -> None:
    electronics = _get(api, q="tv remote", category="Electronics", facets=["category"], size=5)["facets"]["category"]
    assert {b["value"] for b in electronics} == {"Electronics > TVs", "Electronics > Remotes & More (<$20)"}
    for category in ('Electronics > TVs > 55" TVs', "Electronics > Remotes & More (<$20)"):
        response = api.get("/search", params={"q": "tv remote", "category": category, "facets": "category"})
        assert response.status_code == 200, response.text
        assert {h["category"] for h in response.json()["hits"]} == {category}


def test_facets_come_back_in_hybrid_mode_too(api: TestClient, api_fusing_in_service: TestClient) -> None:
    for client in (api, api_fusing_in_service):
        facets = _get(client, q="drill", mode="hybrid", facets=["brand"])["facets"]
        assert {"DeWalt", "Makita"} <= {b["value"] for b in facets["brand"]}


def test_explain_breaks_each_score_down(api: TestClient) -> None:
    body = _get(api, q="bench", user_id="gardener", explain="true", size=3)
    weight = QueryApiSettings.model_fields["lexical_weight"].default
    for hit in body["hits"]:
        e = hit["explanation"]
        assert e["fused_score"] == pytest.approx(hit["score"], rel=1e-4)
        assert e["lexical_weight"] == weight and e["semantic_weight"] == pytest.approx(1 - weight)
        expected = weight * (e["lexical_normalized"] or 0) + (1 - weight) * (e["semantic_normalized"] or 0)
        assert e["fused_score"] == pytest.approx(expected, rel=1e-6)
        assert e["personal_delta"] == pytest.approx(e["semantic_score"] - e["semantic_score_unpersonalized"], abs=1e-6)
    garden_bench = next(h for h in body["hits"] if h["id"] == "p08")
    assert garden_bench["explanation"]["personal_delta"] > 0, "the gardener's history pulls the garden bench up"


def test_rrf_explanations_carry_the_rank_constant(api: TestClient) -> None:
    hit = _get(api, q="bench", mode="hybrid", fusion="rrf", rank_constant=10, explain="true")["hits"][0]
    e = hit["explanation"]
    assert e["rank_constant"] == 10 and e["lexical_weight"] is None
    assert e["fused_score"] == pytest.approx(hit["score"], rel=1e-4)


def test_explain_is_off_by_default(api: TestClient) -> None:
    hits = _get(api, q="bench")["hits"]
    assert hits and all(h["explanation"] is None for h in hits)


def test_post_takes_the_same_search_as_a_json_body(api: TestClient) -> None:
    body = {"q": "cordless", "size": 5, "filters": {"brand": ["Ryobi"], "price": {"max": 150}}, "mode": "bm25"}
    response = api.post("/search", json=body)
    assert response.status_code == 200, response.text
    assert _ids(response.json()) == _ids(_get(api, q="cordless", size=5, brand=["Ryobi"], price="-150", mode="bm25"))


def test_responses_carry_exactly_the_documented_fields(api: TestClient) -> None:
    """The body is written without FastAPI's response model, so check it against the OpenAPI schema."""
    schemas = api.get("/openapi.json").json()["components"]["schemas"]
    documented = set(schemas["SearchResponse"]["properties"])
    for response in (
        api.get("/search", params={"q": "bench", "user_id": "gardener", "from": 2, "explain": True}),
        api.post("/search", json={"q": "bench", "from": 2, "facets": ["brand"]}),
    ):
        assert response.status_code == 200 and response.headers["content-type"] == "application/json"
        body = response.json()
        assert set(body) == documented and body["from"] == 2
        assert set(body["hits"][0]) <= set(schemas["Hit"]["properties"])
