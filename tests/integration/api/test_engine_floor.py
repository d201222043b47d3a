"""The latency benchmark's engine floor must be the API's own hybrid request, and a static query tower must serve."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
from fastapi.testclient import TestClient

from benchmarks.forwarding_api import bare_hybrid_body
from encoders import Encoder, EncoderSettings, load_encoder
from encoders.query_tower import QUERY_TOWER_DIR
from encoders.query_tower_training import distil_tower
from encoders.settings import Backend, QueryTower
from indexer import IndexerSettings
from query_api import create_app
from query_api.search import dsl
from query_api.search.service import pipeline_name
from tests.integration.api.conftest import api_settings
from tests.support.engine import TestEngine


def _ids(response: dict) -> list[str]:
    return [
        hit["fields"]["id"][0] if isinstance(hit["fields"]["id"], list) else hit["fields"]["id"]
        for hit in response["hits"]["hits"]
    ]


def test_the_bare_hybrid_request_finds_what_the_api_hybrid_finds(
    opensearch: TestEngine, encoder: Encoder, catalog_aliases: IndexerSettings, api: TestClient
) -> None:
    settings = api_settings(catalog_aliases)
    for q in ("garden bench", "cordless drill"):
        served = api.get("/search", params={"q": q, "mode": "hybrid", "rerank": "false", "size": 10})
        assert served.status_code == 200 and served.json()["fused_in"] == "opensearch"
        body = bare_hybrid_body(q, encoder.encode_query(q), settings.pagination_depth)
        pipeline = pipeline_name(settings.default_fusion, settings.lexical_weight, settings.rank_constant)
        bare = opensearch.client.search(index=catalog_aliases.alias, body=body, params={"search_pipeline": pipeline})
        found = [h["id"] for h in served.json()["hits"]]
        assert found, f"the test catalog matches {q!r}: an empty page means the search never ran"
        assert _ids(bare) == found


def test_the_api_serves_queries_with_the_static_tower(
    opensearch: TestEngine, base_model: Path, encoder: Encoder, catalog_aliases: IndexerSettings, tmp_path: Path
) -> None:
    model = tmp_path / "model"
    shutil.copytree(base_model, model)
    tower = distil_tower(model, max_tokens=4)
    tower.card["product_encoder"] = encoder.fingerprint.value
    tower.save(model / QUERY_TOWER_DIR)
    static = load_encoder(
        EncoderSettings(model_dir=model, backend=Backend.ONNX_INT8, query_tower=QueryTower.STATIC, query_cache_size=0)
    )
    app = create_app(api_settings(catalog_aliases), client=opensearch.client, encoder=static)
    with TestClient(app) as client:
        for q in ("garden bench", "a long garden bench made of teak"):
            served = client.get("/search", params={"q": q, "mode": "dense", "size": 5})
            assert served.status_code == 200, served.text
            # The dense page is the index's nearest products to the vector the encoder chose for q: the
            # tower's for a short query, the transformer's past its 4 tokens.
            vector = static.encode_query(q)
            expected = tower.encode_covered(q)
            if expected is None:
                np.testing.assert_allclose(vector, encoder.encode_query(q), rtol=1e-5, atol=1e-6)
            else:
                np.testing.assert_allclose(vector, expected, rtol=1e-6)
            direct = opensearch.client.search(
                index=catalog_aliases.alias, body=dsl.page(dsl.knn(vector, 5, []), 0, 5, {})
            )
            assert [h["id"] for h in served.json()["hits"]] == _ids(direct) != []
        hybrid = client.get("/search", params={"q": "garden bench", "mode": "hybrid"})
        assert hybrid.status_code == 200 and hybrid.json()["hits"]
