"""The latency benchmark's forwarding floor must send what bare BM25 sends, or its ratio measures something else."""

from __future__ import annotations

from fastapi.testclient import TestClient

from benchmarks.forwarding_api import bare_bm25_body, create_app
from indexer import IndexerSettings
from tests.support.engine import TestEngine


def test_the_forwarding_floor_answers_the_hits_bare_bm25_answers(
    opensearch: TestEngine, catalog_aliases: IndexerSettings
) -> None:
    with TestClient(create_app(catalog_aliases.alias, client=opensearch.client)) as floor:
        response = floor.get("/search", params={"q": "garden bench"})
    direct = opensearch.client.search(index=catalog_aliases.alias, body=bare_bm25_body("garden bench"))

    assert response.status_code == 200
    forwarded = response.json()["hits"]["hits"]
    assert forwarded, "the test catalog has benches: an empty answer means the query never reached the index"
    # The body asks for no stored fields: a hit names its product in the `id` doc value.
    assert [(hit["fields"]["id"], hit["_score"]) for hit in forwarded] == [
        (hit["fields"]["id"], hit["_score"]) for hit in direct["hits"]["hits"]
    ]
