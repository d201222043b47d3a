"""BM25's ties: titles that score the same come most popular first, in every lexical list the API reads."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from rich.console import Console

from encoders import Encoder
from indexer import IndexerSettings, IndexStore, build_index
from query_api import QueryApiSettings, create_app
from query_api.schemas import Mode, SearchRequest
from tests.support.catalogs import write_jsonl
from tests.support.engine import TestEngine

DEPTH = 10  # the API's fused depth (its smallest): BM25's and k-NN's top 10 hold at most 20 of the 30 benches
# Benches with the same title (the same BM25 score for "bench"): units sold, distinct, one not known.
POPULARITY: dict[str, int | None] = {
    f"b{i:02d}": units for i, units in enumerate([*random.Random(7).sample(range(1, 100), 29), None])
}
# The tie-break's order: most popular first, unknown last.
BY_POPULARITY = sorted(POPULARITY, key=lambda p: (POPULARITY[p] is None, -(POPULARITY[p] or 0)))


@pytest.fixture(scope="module")
def benches(opensearch: TestEngine, encoder: Encoder, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("ties")
    # Written in the opposite order, so that the engine's own order for equal scores (index order) is not it.
    rows = [{"id": pid, "title": "Wooden Bench", "popularity": POPULARITY[pid]} for pid in reversed(BY_POPULARITY)]
    rows.append({"id": "z1", "title": "Garden Hose"})
    settings = IndexerSettings(alias=f"ties{uuid.uuid4().hex[:8]}", rejects_dir=Path(tmp), canary_count=1)
    build_index(
        IndexStore(opensearch.client, settings),
        encoder,
        write_jsonl(tmp / "c.jsonl", rows),
        settings,
        console=Console(quiet=True),
    )
    yield settings.alias
    opensearch.client.indices.delete(index=f"{settings.alias}-*", ignore_unavailable=True)


@pytest.fixture(scope="module")
def api(opensearch: TestEngine, encoder: Encoder, benches: str) -> Iterator[TestClient]:
    settings = QueryApiSettings(alias=benches, users_index=f"{benches}-users", pagination_depth=DEPTH)
    with TestClient(create_app(settings, client=opensearch.client, encoder=encoder)) as client:
        yield client


def test_bm25_pages_break_equal_scores_by_popularity(api: TestClient) -> None:
    first = api.get("/search", params={"q": "bench", "mode": "bm25", "size": 15}).json()
    second = api.get("/search", params={"q": "bench", "mode": "bm25", "size": 15, "from": 15}).json()
    assert [h["id"] for h in first["hits"] + second["hits"]] == BY_POPULARITY


def test_the_hybrid_first_stage_takes_the_most_popular_of_the_tied(api: TestClient) -> None:
    # A lexical list DEPTH deep over 30 tied titles: the most popular make it, in that order.
    service = api.app.state.search  # type: ignore[attr-defined]
    found = service.candidates(SearchRequest(q="bench", mode=Mode.HYBRID), 3 * DEPTH)  # all the fused
    lexical = sorted((c for c in found if c.lexical_rank), key=lambda c: c.lexical_rank)
    assert [c.id for c in lexical] == BY_POPULARITY[:DEPTH]
    assert [c.popularity for c in lexical] == [POPULARITY[c.id] for c in lexical]  # read back for the ranker


def test_pages_past_the_fused_candidates_continue_in_the_same_order(api: TestClient) -> None:
    pages = [
        api.get("/search", params={"q": "bench", "mode": "hybrid", "size": 10, "from": start, "rerank": False}).json()
        for start in (0, 10, 20)
    ]
    ids = [h["id"] for page in pages for h in page["hits"]]
    assert len(set(ids)) == len(ids) == 30 and set(ids) <= {*POPULARITY, "z1"}
    # The fused list holds at most 20: the third page is BM25's other matches, in its tie-broken order.
    past = [h["id"] for h in pages[2]["hits"]]
    assert past == [b for b in BY_POPULARITY if b in past]
