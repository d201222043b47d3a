"""Readiness, the encoder guard, OpenSearch going away and coming back, and a fuzz run for 500s."""

from __future__ import annotations

import json
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

from aisle.engine import EngineSettings, ManagedNode
from encoders import Encoder, EncoderFingerprint
from encoders.loading import Encoder as EncoderClass
from indexer import IndexerSettings, IndexStore, build_index
from kernel.opensearch import make_client
from query_api import create_app
from tests.integration.api.conftest import api_settings
from tests.support.catalogs import PRODUCTS, write_jsonl
from tests.support.engine import TestEngine


def test_health_and_ready(api: TestClient) -> None:
    assert api.get("/health").json() == {"status": "ok"}
    ready = api.get("/ready")
    assert ready.status_code == 200 and ready.json()["ready"] is True
    assert ready.json()["checks"]["encoder"] == "ok"


def test_ready_refuses_an_index_built_with_another_encoder(
    opensearch: TestEngine, encoder: Encoder, catalog_aliases: IndexerSettings
) -> None:
    fingerprint = EncoderFingerprint("another-model", "e" * 64, encoder.fingerprint.template, encoder.dimension)
    other = EncoderClass(encoder.text_encoder, encoder.template, fingerprint, encoder.backend)
    with TestClient(create_app(api_settings(catalog_aliases), client=opensearch.client, encoder=other)) as client:
        ready = client.get("/ready")
    assert ready.status_code == 503
    assert ready.json()["checks"]["encoder"].startswith("index built with all-MiniLM-L6-v2@")
    assert "loaded encoder is another-model@" in ready.json()["checks"]["encoder"]


def test_ready_reports_a_missing_alias(
    opensearch: TestEngine, encoder: Encoder, catalog_aliases: IndexerSettings
) -> None:
    settings = api_settings(catalog_aliases).model_copy(update={"alias": "no-such-alias"})
    with TestClient(create_app(settings, client=opensearch.client, encoder=encoder)) as client:
        ready = client.get("/ready")
    assert ready.status_code == 503 and ready.json()["checks"]["alias"] == "alias 'no-such-alias' not found"


def test_metrics_count_latency_errors_and_cache_hits(api: TestClient) -> None:
    api.get("/search", params={"q": "hammer", "mode": "hybrid"})
    api.get("/search", params={"q": "hammer", "mode": "hybrid"})
    api.get("/search", params={"q": "hammer", "size": 1000})
    text = api.get("/metrics").text
    assert 'aisle_search_latency_seconds_count{mode="hybrid"}' in text
    assert 'aisle_errors_total{code="invalid_parameter"}' in text
    hits = next(line for line in text.splitlines() if line.startswith('aisle_cache_hits_total{cache="query_vectors"}'))
    assert float(hits.split()[-1]) >= 1


def test_concurrent_searches_reuse_the_clients_open_connections(
    opensearch: TestEngine, encoder: Encoder, catalog_aliases: IndexerSettings
) -> None:
    """Searches running side by side share kept-open connections to OpenSearch instead of opening one each."""
    client = make_client(EngineSettings(pool_size=4), opensearch.url)
    app = create_app(api_settings(catalog_aliases), client=client, encoder=encoder)

    def opened() -> int:
        stats = opensearch.client.nodes.stats(metric="http")
        return sum(node["http"]["total_opened"] for node in stats["nodes"].values())

    searches = [{"q": q, "mode": mode} for q in ("drill", "bench", "saw", "hose") for mode in ("bm25", "hybrid")] * 25
    with TestClient(app) as api, ThreadPoolExecutor(4) as threads:
        before = opened()
        statuses = list(threads.map(lambda params: api.get("/search", params=params).status_code, searches))
        after = opened()
    assert statuses == [200] * len(searches)
    # Four at a time need at most four connections; with one kept open (opensearch-py's default) this
    # run opened ~90.
    assert after - before <= 4


@pytest.mark.slow
def test_opensearch_down_is_a_503_and_searches_recover_without_a_restart(encoder: Encoder, tmp_path: Path) -> None:
    node_dir = Path(tempfile.mkdtemp(prefix="aisle-api-node-"))
    node = ManagedNode(EngineSettings(url=None, port=None), node_dir)
    try:
        url = node.start().url
        indexer = IndexerSettings(alias="products", users_index="users", rejects_dir=tmp_path)
        client = make_client(EngineSettings(timeout_s=2), url)
        build_index(
            IndexStore(client, indexer),
            encoder,
            write_jsonl(tmp_path / "c.jsonl", PRODUCTS),
            indexer,
            console=Console(quiet=True),
        )
        app = create_app(api_settings(indexer, retry_after_s=7), client=client, encoder=encoder)
        with TestClient(app) as api:
            assert api.get("/search", params={"q": "drill"}).status_code == 200
            node.stop()
            down = api.get("/search", params={"q": "drill"})
            assert down.status_code == 503
            assert down.json()["error"]["code"] == "search_unavailable" and down.headers["Retry-After"] == "7"
            assert api.get("/ready").status_code == 503
            assert api.get("/health").status_code == 200

            node.start()
            back = api.get("/search", params={"q": "drill"})
            assert back.status_code == 200 and back.json()["hits"]
            assert api.get("/ready").status_code == 200
    finally:
        node.stop()
        shutil.rmtree(node_dir, ignore_errors=True)


search_bodies = st.fixed_dictionaries(
    {"q": st.text(min_size=0, max_size=300)},
    optional={
        "user_id": st.one_of(st.none(), st.text(max_size=20), st.sampled_from(["gardener", "ghost"])),
        "size": st.integers(-5, 150),
        "from": st.integers(-5, 60),
        "mode": st.sampled_from(["bm25", "dense", "hybrid", "personalized", "other"]),
        "fusion": st.sampled_from(["minmax", "rrf", "x"]),
        "lexical_weight": st.one_of(st.floats(-1, 2), st.floats(allow_nan=True, allow_infinity=True)),
        "rank_constant": st.integers(-1, 20_000),
        "explain": st.booleans(),
        "facets": st.lists(st.sampled_from(["category", "brand", "price", "availability", "colour"]), max_size=3),
        "filters": st.fixed_dictionaries(
            {},
            optional={
                "category": st.text(max_size=40),
                "brand": st.lists(st.text(max_size=12), max_size=3),
                "price": st.fixed_dictionaries({}, optional={"min": st.floats(-10, 500), "max": st.floats(-10, 500)}),
                "availability": st.lists(st.sampled_from(["in_stock", "gone"]), max_size=2),
                "colour": st.text(max_size=5),
            },
        ),
    },
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=search_bodies)
def test_no_request_body_makes_a_500(api: TestClient, body: dict) -> None:
    # Python's json writes NaN and Infinity as bare tokens, which a real client may send too.
    response = api.post("/search", content=json.dumps(body), headers={"content-type": "application/json"})
    assert response.status_code in (200, 422), response.text
    if response.status_code == 422:
        assert response.json()["error"]["code"] in {
            "invalid_parameter",
            "unknown_filter_field",
            "malformed_price_range",
            "query_too_long",
        }


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=st.text(max_size=80), price=st.text(max_size=12), category=st.text(max_size=30))
def test_no_query_string_makes_a_500(api: TestClient, q: str, price: str, category: str) -> None:
    response = api.get("/search", params={"q": q, "price": price, "category": category})
    assert response.status_code in (200, 422), response.text
