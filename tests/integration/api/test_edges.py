"""The API's edges: every error in one envelope, bodies capped, pages past the depth, docs offline, limits stated."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from encoders import Encoder
from indexer import IndexerSettings
from query_api import create_app
from tests.integration.api.conftest import api_settings
from tests.support.engine import TestEngine


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"{not json", "application/json"),
        (b"[1, 2]", "application/json"),
        (b"q=drill", "application/x-www-form-urlencoded"),
    ],
)
def test_a_body_that_is_not_a_json_object_gets_the_envelope(api: TestClient, content: bytes, content_type: str) -> None:
    response = api.post("/search", content=content, headers={"content-type": content_type})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "malformed_body" and response.json()["error"]["field"] == "body"


def test_unknown_paths_and_methods_get_the_envelope_and_a_complete_allow(api: TestClient) -> None:
    missing = api.get("/nothing-here")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    wrong = api.delete("/search")
    assert wrong.status_code == 405 and wrong.json()["error"]["code"] == "method_not_allowed"
    assert wrong.headers["allow"] == "GET, POST"


def test_a_body_over_the_limit_is_refused_without_being_read_whole(api: TestClient) -> None:
    huge = b'{"q": "' + b"x" * 2_000_000 + b'"}'
    declared = api.post("/search", content=huge, headers={"content-type": "application/json"})
    assert declared.status_code == 413 and declared.json()["error"]["code"] == "body_too_large"

    def chunks():  # no Content-Length: the limit counts what arrives
        for _ in range(40):
            yield b"x" * 65_536

    streamed = api.post("/search", content=chunks(), headers={"content-type": "application/json"})
    assert streamed.status_code == 413 and streamed.json()["error"]["code"] == "body_too_large"


def test_a_page_past_every_match_is_empty(api: TestClient) -> None:
    past = api.get("/search", params={"q": "cordless", "mode": "hybrid", "from": 5000, "size": 10})
    assert past.status_code == 200 and past.json()["hits"] == [] and past.json()["total"] > 0


def test_pages_past_the_fused_candidates_go_on_in_bm25_order_and_never_repeat(
    opensearch: TestEngine, encoder: Encoder, catalog_aliases: IndexerSettings
) -> None:
    query = "cordless ft in led paint gal"
    app = create_app(api_settings(catalog_aliases, pagination_depth=10), client=opensearch.client, encoder=encoder)
    with TestClient(app) as api:
        pages = [
            api.get("/search", params={"q": query, "mode": "hybrid", "from": start, "size": 4}).json()
            for start in range(0, 48, 4)
        ]
        bm25 = api.get("/search", params={"q": query, "mode": "bm25", "size": 50}).json()
        dense = api.get("/search", params={"q": query, "mode": "dense", "size": 10}).json()
    ids = [h["id"] for page in pages for h in page["hits"]]
    lexical = [h["id"] for h in bm25["hits"]]
    fused = set(lexical[:10]) | {h["id"] for h in dense["hits"]}
    assert len(ids) == len(set(ids)) and len(lexical) > len(set(lexical[:10]))  # the query reaches past the depth
    assert set(ids[: len(fused)]) == fused
    assert ids[len(fused) :] == [i for i in lexical if i not in fused]
    # Every product either side found is reachable, once.
    assert {page["total"] for page in pages} == {len(ids)} == {len(set(lexical) | fused)}
    assert bm25["total"] == len(lexical)


def test_the_openapi_document_states_the_limits_the_settings_enforce(api: TestClient) -> None:
    spec = api.get("/openapi.json").json()
    get = {p["name"]: p["schema"] for p in spec["paths"]["/search"]["get"]["parameters"]}
    assert get["q"]["maxLength"] == 256 and get["size"]["maximum"] == 50
    body = spec["components"]["schemas"]["SearchRequest"]["properties"]
    assert body["q"]["maxLength"] == 256 and body["size"]["maximum"] == 50


def test_the_docs_pages_load_their_assets_from_the_api_itself(api: TestClient) -> None:
    for path, asset in (("/docs", "/docs-assets/swagger-ui-bundle.js"), ("/redoc", "/docs-assets/redoc.standalone.js")):
        page = api.get(path)
        assert page.status_code == 200 and asset in page.text
        assert "cdn." not in page.text and "unpkg" not in page.text
        served = api.get(asset)
        assert served.status_code == 200 and len(served.content) > 100_000


def test_metrics_need_the_key_only_when_told(
    opensearch: TestEngine, encoder: Encoder, catalog_aliases: IndexerSettings
) -> None:
    for need, status in ((False, 200), (True, 401)):
        settings = api_settings(catalog_aliases, api_key="s3cret", metrics_need_key=need)
        with TestClient(create_app(settings, client=opensearch.client, encoder=encoder)) as client:
            assert client.get("/metrics").status_code == status
            assert client.get("/metrics", headers={"X-API-Key": "s3cret"}).status_code == 200
