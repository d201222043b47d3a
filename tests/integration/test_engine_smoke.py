"""The engine aisle stands on: plugins, analysis, lucene k-NN, and hybrid fusion pipelines."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from aisle.engine import describe
from query_api.schemas import Fusion
from query_api.search.backend import SearchBackend
from query_api.search.service import pipeline_processor
from tests.support.engine import TestEngine

DIM = 4


def _create_product_index(engine: TestEngine, name: str) -> None:
    engine.client.indices.create(
        index=name,
        body={
            "settings": {"index": {"knn": True, "number_of_shards": 1, "number_of_replicas": 0}},
            "mappings": {
                "properties": {
                    "title": {"type": "text", "analyzer": "english"},
                    "vector": {
                        "type": "knn_vector",
                        "dimension": DIM,
                        "method": {
                            "name": "hnsw",
                            "engine": "lucene",
                            "space_type": "cosinesimil",
                            "parameters": {"m": 16, "ef_construction": 64},
                        },
                    },
                }
            },
        },
    )


def _index(engine: TestEngine, name: str, docs: dict[str, tuple[str, list[float]]]) -> None:
    for doc_id, (title, vector) in docs.items():
        engine.client.index(index=name, id=doc_id, body={"title": title, "vector": vector})
    engine.client.indices.refresh(index=name)
    # A flush writes the lucene vector segment to disk: the step where a native engine would crash.
    engine.client.indices.flush(index=name)


def _ids(response: dict) -> list[str]:
    return [hit["_id"] for hit in response["hits"]["hits"]]


@pytest.fixture
def pipeline(opensearch: TestEngine) -> Iterator[str]:
    name = f"test-pipeline-{uuid.uuid4().hex[:8]}"
    yield name
    opensearch.client.transport.perform_request("DELETE", f"/_search/pipeline/{name}")


def _put_pipeline(engine: TestEngine, name: str, processor: dict) -> None:
    engine.client.transport.perform_request(
        "PUT", f"/_search/pipeline/{name}", body={"phase_results_processors": [processor]}
    )


def _hybrid(engine: TestEngine, index: str, pipeline: str, text: str, vector: list[float], k: int) -> list[str]:
    body = {
        "size": 10,
        "query": {
            "hybrid": {
                "queries": [
                    {"match": {"title": text}},
                    {"knn": {"vector": {"vector": vector, "k": k}}},
                ]
            }
        },
    }
    return _ids(engine.client.search(index=index, body=body, params={"search_pipeline": pipeline}))


def test_knn_and_neural_search_plugins_and_modules_are_loaded(opensearch: TestEngine) -> None:
    info = describe(opensearch.client, opensearch.url)
    assert {"opensearch-knn", "opensearch-neural-search"} <= set(info.plugins)
    assert {"lang-painless", "analysis-common", "reindex", "mapper-extras"} <= set(info.modules)
    assert info.status in {"green", "yellow"}


def test_english_analyzer_stems_product_words(opensearch: TestEngine) -> None:
    tokens = opensearch.client.indices.analyze(body={"analyzer": "english", "text": "Cordless Drills running"})
    assert [t["token"] for t in tokens["tokens"]] == ["cordless", "drill", "run"]


def test_lucene_knn_returns_the_nearest_document(opensearch: TestEngine, index_name: str) -> None:
    _create_product_index(opensearch, index_name)
    _index(
        opensearch,
        index_name,
        {
            "north": ("north", [0.0, 1.0, 0.0, 0.0]),
            "east": ("east", [1.0, 0.0, 0.0, 0.0]),
            "up": ("up", [0.0, 0.0, 1.0, 0.0]),
        },
    )
    body = {"size": 1, "query": {"knn": {"vector": {"vector": [0.9, 0.1, 0.0, 0.0], "k": 1}}}}
    assert _ids(opensearch.client.search(index=index_name, body=body)) == ["east"]


# Three products built so that the two fusion methods disagree: "lexical" wins BM25 alone,
# "semantic" wins k-NN alone, and "both" is second in each list.
FUSION_DOCS = {
    "lexical": ("cordless drill", [0.0, 0.0, 1.0, 0.0]),
    "both": ("cordless drill with two batteries, charger and carry case", [0.8, 0.6, 0.0, 0.0]),
    "semantic": ("impact driver", [1.0, 0.0, 0.0, 0.0]),
    "other": ("garden hose", [0.0, 0.0, 0.0, 1.0]),
}
QUERY_VECTOR = [1.0, 0.0, 0.0, 0.0]


def test_hybrid_min_max_fusion_follows_the_weights(opensearch: TestEngine, index_name: str, pipeline: str) -> None:
    _create_product_index(opensearch, index_name)
    _index(opensearch, index_name, FUSION_DOCS)

    def fused(weights: list[float]) -> list[str]:
        _put_pipeline(
            opensearch,
            pipeline,
            {
                "normalization-processor": {
                    "normalization": {"technique": "min_max"},
                    "combination": {"technique": "arithmetic_mean", "parameters": {"weights": weights}},
                }
            },
        )
        return _hybrid(opensearch, index_name, pipeline, "cordless drill", QUERY_VECTOR, k=2)

    assert fused([0.9, 0.1])[0] == "lexical"
    assert fused([0.1, 0.9])[0] == "semantic"


def test_hybrid_rrf_fusion_rewards_agreement(opensearch: TestEngine, index_name: str, pipeline: str) -> None:
    _create_product_index(opensearch, index_name)
    _index(opensearch, index_name, FUSION_DOCS)
    # The API's own processor: where the rank constant goes differs between 2.x and 3.x.
    major = SearchBackend(opensearch.client).major_version()
    _put_pipeline(opensearch, pipeline, pipeline_processor(Fusion.RRF, 0.5, 60, engine_major=major))
    ranked = _hybrid(opensearch, index_name, pipeline, "cordless drill", QUERY_VECTOR, k=2)
    # "both" is 2nd in each list (2/62) and beats either list's winner alone (1/61).
    assert ranked[0] == "both"
    assert set(ranked[1:3]) == {"lexical", "semantic"}
    assert "other" not in ranked
