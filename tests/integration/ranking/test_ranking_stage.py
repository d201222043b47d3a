"""The learned ranking stage end to end on a small SIMULATED store: trained from its search log, served, evaluated."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from aisle.cli import app
from aisle.evaluation import EvalRun, evaluate, simulated_set
from aisle.evaluation.harness import search_service
from aisle.ranking import RankerJob
from aisle.simulate import StoreConfig, simulate, write_store
from encoders import Encoder, EncoderSettings, load_encoder
from encoders.ranking import LtrRanker
from kernel.data import Split, query_key
from kernel.opensearch import ConnectionSettings
from query_api import create_app
from query_api.search import SearchBackend
from query_api.search.ranking import RankingStage
from query_api.settings import QueryApiSettings
from tests.support.engine import TestEngine


def _corrupt_tree(rows: object) -> object:
    raise RuntimeError("corrupt tree")


@pytest.fixture(scope="module")
def trained(
    opensearch: TestEngine, base_model: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path, EvalRun]:
    """A copy of the base model with a ranker trained on a store's log beside it, and an eval of it."""
    store = tmp_path_factory.mktemp("rank-store")
    write_store(simulate(StoreConfig(products=500, shoppers=80, seed=9)), store)
    model = tmp_path_factory.mktemp("rank-model") / "model"
    shutil.copytree(base_model, model)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("AISLE_OPENSEARCH_URL", opensearch.url)
        done = CliRunner().invoke(
            app, ["rank", "train", "--model", str(model), "--store", str(store), "--rounds", "60"]
        )
    assert done.exit_code == 0, done.output
    assert "replay it: aisle rank train --replay" in done.output
    run = evaluate(
        simulated_set(store),
        ConnectionSettings(url=opensearch.url),
        base_model=model,
        systems=["bm25", "ltr", "default"],
    )
    return model, store, run


@pytest.fixture(scope="module")
def served(trained: tuple[Path, Path, EvalRun]) -> tuple[Encoder, QueryApiSettings]:
    """The trained model's encoder and the API settings over the eval's index of the store."""
    model, _, run = trained
    alias = run.indices["finetuned"]
    return load_encoder(EncoderSettings(model_dir=model)), QueryApiSettings(alias=alias, users_index=f"{alias}-users")


def test_training_writes_the_ranker_its_arguments_and_the_serving_defaults(trained: tuple[Path, Path, EvalRun]) -> None:
    model, store, run = trained
    ranker = LtrRanker.beside(model)
    assert ranker is not None and ranker.card["about"]["simulated"] is True
    assert ranker.card["dev"]["ndcg@10_reranked"] is not None
    serving = json.loads((model / "serving.json").read_text())
    assert serving["settings"]["rerank_depth"] == 50 and serving["chosen_on"].endswith("-dev")
    # The first stage's weight is the one whose fused order did best on dev.
    swept = serving["measured"]["fusion_sweep"]
    best = max(v for k, v in swept.items() if k.startswith("minmax@"))
    assert swept[f"minmax@{serving['settings']['lexical_weight']}"] == best and "rrf@60" in swept
    # The API corrects queries as the ranker's training did.
    assert (model / "spelling.json").is_file()
    args = json.loads((model / "ranker" / "ranker_args.json").read_text())
    assert args["store"] and args["rounds"] == 60 and args["query_log"] is True
    assert set(run.rankings) == {"bm25", "ltr", "default"}
    # The query log holds the training split's searches with a purchase or click, and no dev or test one.
    train = simulated_set(store, Split.TRAIN)
    logged = [q for q in train.queries if any(g > 0 for g in RankerJob(store=store).grades()(q).values())]
    assert ranker.log is not None and len(ranker.log) == len(logged) == ranker.card["query_log"]["searches"]
    searches = {split: simulated_set(store, split).queries for split in Split}
    keys = {s.key for found in searches.values() for q in found for p in q.grades for s in ranker.log.found(p)}
    held_back = {query_key(q.text) for split in (Split.DEV, Split.TEST) for q in searches[split]}
    assert keys and not held_back & keys


def test_the_default_system_is_what_search_returns_with_no_parameters(
    opensearch: TestEngine, trained: tuple[Path, Path, EvalRun], served: tuple[Encoder, QueryApiSettings]
) -> None:
    _, _, run = trained
    encoder, settings = served
    queries = [q for q in run.eval_set.queries if q.user_id][:5] + [q for q in run.eval_set.queries if not q.user_id][
        :2
    ]
    with TestClient(create_app(settings, client=opensearch.client, encoder=encoder)) as api:
        for query in queries:
            params = {"q": query.text, "size": 50} | ({"user_id": query.user_id} if query.user_id else {})
            body = api.get("/search", params=params).json()
            assert [h["id"] for h in body["hits"]] == run.rankings["default"][query.query_id]
            assert body["ranking"]["applied"] is True and body["ranking"]["model"].startswith("ltr-")


def test_explanations_add_up_and_opting_out_serves_the_fused_order(
    opensearch: TestEngine, trained: tuple[Path, Path, EvalRun], served: tuple[Encoder, QueryApiSettings]
) -> None:
    _, _, run = trained
    encoder, settings = served
    query = run.eval_set.queries[0].text
    with TestClient(create_app(settings, client=opensearch.client, encoder=encoder)) as api:
        explained = api.get("/search", params={"q": query, "mode": "hybrid", "explain": True}).json()
        assert explained["ranking"]["applied"] is True, explained["ranking"]
        for hit in explained["hits"]:
            parts = hit["explanation"]["contributions"]
            assert sum(parts.values()) == pytest.approx(hit["explanation"]["ranker_score"], abs=1e-6)
            assert hit["score"] == pytest.approx(hit["explanation"]["ranker_score"])
        plain = api.get("/search", params={"q": query, "mode": "hybrid", "rerank": False}).json()
        assert plain["ranking"] == {
            "applied": False,
            "outcome": "turned_off",
            "reason": "re-ranking was turned off for this request (rerank=false)",
            "model": None,
            "depth": 0,
            "ms": 0.0,
        }
        assert plain["hits"] and "ranker_score" not in (plain["hits"][0].get("explanation") or {})


def test_a_shoppers_taste_comes_from_the_products_of_their_history(
    opensearch: TestEngine, trained: tuple[Path, Path, EvalRun], served: tuple[Encoder, QueryApiSettings]
) -> None:
    _, store, run = trained
    encoder, settings = served
    shopper = next(q.user_id for q in run.eval_set.queries if q.user_id)
    bought = {
        e["product_id"]
        for e in map(json.loads, (store / "events.jsonl").read_text().splitlines())
        if e["user_id"] == shopper
    }
    brands = {
        p["brand"] for p in map(json.loads, (store / "catalog.jsonl").read_text().splitlines()) if p["id"] in bought
    }
    service = search_service(SearchBackend(opensearch.client), encoder, settings)
    taste = service.shopper_taste(shopper)
    assert taste is not None and set(taste.brands) <= brands and 0 < sum(taste.brands.values()) <= 1
    assert service.shopper_taste("nobody-at-all") is None


def test_a_failing_ranker_serves_the_fused_order_not_an_error(
    opensearch: TestEngine, trained: tuple[Path, Path, EvalRun], served: tuple[Encoder, QueryApiSettings]
) -> None:
    model, _, run = trained
    encoder, settings = served
    query = run.eval_set.queries[0].text
    ranker = LtrRanker.beside(model)
    assert ranker is not None
    ranker.score = _corrupt_tree  # type: ignore[method-assign]
    broken = RankingStage(ranker, 25)
    with TestClient(create_app(settings, client=opensearch.client, encoder=encoder, ranking=broken)) as api:
        failed = api.get("/search", params={"q": query, "mode": "hybrid"})
        fused = api.get("/search", params={"q": query, "mode": "hybrid", "rerank": False}).json()
    assert failed.status_code == 200
    body = failed.json()
    assert body["ranking"]["outcome"] == "failed" and "failed (RuntimeError)" in body["ranking"]["reason"]
    assert [h["id"] for h in body["hits"]] == [h["id"] for h in fused["hits"]] and body["hits"]
