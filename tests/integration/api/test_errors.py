"""Bad requests get a 422 with a stable code; a missing key a 401; the OpenAPI ids are unique."""

from __future__ import annotations

from collections import Counter

import pytest
from fastapi.testclient import TestClient

from encoders import Encoder
from indexer import IndexerSettings
from query_api import create_app
from tests.integration.api.conftest import api_settings
from tests.support.engine import TestEngine


@pytest.mark.parametrize(
    ("params", "code", "field"),
    [
        ({"q": "drill", "size": 101}, "invalid_parameter", "size"),
        ({"q": "drill", "size": 0}, "invalid_parameter", "size"),
        ({"q": "drill", "from": -1}, "invalid_parameter", "from"),
        ({"q": ""}, "invalid_parameter", "q"),
        ({}, "invalid_parameter", "q"),
        ({"q": "x" * 257}, "query_too_long", "q"),
        ({"q": "drill", "colour": "red"}, "unknown_filter_field", "colour"),
        ({"q": "drill", "price": "cheap"}, "malformed_price_range", "price"),
        ({"q": "drill", "price": "50-10"}, "malformed_price_range", "price"),
        ({"q": "drill", "mode": "magic"}, "invalid_parameter", "mode"),
        ({"q": "drill", "availability": "sometimes"}, "invalid_parameter", "availability.0"),
        ({"q": "drill", "lexical_weight": 2}, "invalid_parameter", "lexical_weight"),
        ({"q": "drill", "user_id": "u" * 257}, "invalid_parameter", "user_id"),
        ({"q": "drill", "price": "inf-"}, "malformed_price_range", "price"),
        ({"q": "drill", "price": "-nan"}, "malformed_price_range", "price"),
    ],
)
def test_bad_get_parameters(api: TestClient, params: dict, code: str, field: str) -> None:
    response = api.get("/search", params=params)
    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["code"], error["field"]) == (code, field), error
    assert error["message"]


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"q": "drill", "filters": {"colour": "red"}}, "unknown_filter_field", "filters.colour"),
        ({"q": "drill", "filters": {"price": {"min": 50, "max": 10}}}, "malformed_price_range", "filters.price"),
        ({"q": "drill", "filters": {"price": {"min": -5}}}, "malformed_price_range", "filters.price.min"),
        ({"q": "drill", "size": "ten"}, "invalid_parameter", "size"),
        ({"q": "drill", "sort": "price"}, "invalid_parameter", "sort"),
        ({"q": {"match_all": {}}}, "invalid_parameter", "q"),
        ({"q": "drill", "user_id": "u" * 257}, "invalid_parameter", "user_id"),
    ],
)
def test_bad_post_bodies(api: TestClient, body: dict, code: str, field: str) -> None:
    response = api.post("/search", json=body)
    assert response.status_code == 422
    assert (response.json()["error"]["code"], response.json()["error"]["field"]) == (code, field)


def test_query_dsl_in_the_query_text_is_only_ever_text(api: TestClient) -> None:
    response = api.get("/search", params={"q": '{"match_all": {}} OR title:* AND script', "mode": "bm25"})
    assert response.status_code == 200
    assert response.json()["total"] < 30, "the text was matched as words, not run as a query"


def test_an_api_key_is_required_when_configured(
    opensearch: TestEngine, encoder: Encoder, catalog_aliases: IndexerSettings
) -> None:
    app = create_app(api_settings(catalog_aliases, api_key="s3cret"), client=opensearch.client, encoder=encoder)
    with TestClient(app) as client:
        denied = client.get("/search", params={"q": "drill"})
        assert denied.status_code == 401 and denied.json()["error"]["code"] == "invalid_api_key"
        assert client.get("/search", params={"q": "drill"}, headers={"X-API-Key": "wrong"}).status_code == 401
        assert client.get("/search", params={"q": "drill"}, headers={"X-API-Key": "s3cret"}).status_code == 200
        assert client.get("/health").status_code == 200


def test_operation_ids_are_unique_and_named_after_tags(api: TestClient) -> None:
    spec = api.get("/openapi.json").json()
    ids = [op["operationId"] for path in spec["paths"].values() for op in path.values()]
    assert not [i for i, n in Counter(ids).items() if n > 1]
    assert "search-search_get" in ids and "health-ready" in ids


def test_request_ids_are_echoed(api: TestClient) -> None:
    response = api.get("/health", headers={"X-Request-ID": "abc123"})
    assert response.headers["X-Request-ID"] == "abc123"
    assert len(api.get("/health").headers["X-Request-ID"]) == 32


def test_a_bad_get_parameter_is_counted_like_any_other_error(api: TestClient) -> None:
    def counted() -> float:
        lines = api.get("/metrics").text.splitlines()
        return sum(
            float(line.split()[-1]) for line in lines if line.startswith('aisle_errors_total{code="invalid_parameter"}')
        )

    before = counted()
    assert api.get("/search", params={"q": "drill", "user_id": "u" * 300}).status_code == 422
    assert counted() == before + 1
