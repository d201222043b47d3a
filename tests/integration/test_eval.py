"""`aisle eval` on a small SIMULATED store against the real node: systems, reports and the gate."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from aisle.cli import app
from aisle.evaluation import evaluate, score, simulated_set, write_report
from aisle.simulate import StoreConfig, simulate, write_store
from encoders import EncoderSettings, load_encoder
from kernel.opensearch import ConnectionSettings
from query_api import create_app
from query_api.settings import QueryApiSettings
from tests.support.engine import TestEngine


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("eval-store")
    write_store(simulate(StoreConfig(products=800, shoppers=200, seed=5)), folder)
    return folder


def test_every_system_is_scored_through_the_api_code(
    opensearch: TestEngine, base_model: Path, store: Path, tmp_path: Path
) -> None:
    eval_set = simulated_set(store)
    run = evaluate(eval_set, ConnectionSettings(url=opensearch.url), base_model=base_model)
    # No ranker or cross-encoder is trained beside the base model: those systems are left out.
    assert set(run.rankings) == {
        "bm25",
        "dense-base",
        "hybrid-minmax",
        "hybrid-rrf",
        "personalized",
        "default",
        "default-diverse",
    }
    results = score(run, resamples=200)
    for name, system in results["systems"].items():
        for metric, value in system["metrics"].items():
            assert 0.0 <= value["ci95"][0] <= value["mean"] <= value["ci95"][1] <= 1.0, (name, metric)
        assert set(system["segments"]) == {"shopper", "item", "traffic"}
    assert results["simulated"] is True and "SIMULATED" in results["notes"][0]

    # The harness ranks exactly as the API does for the same request.
    query = next(q for q in eval_set.queries if q.user_id)
    alias = run.indices["finetuned"]
    settings = QueryApiSettings(alias=alias, users_index=f"{alias}-users", pagination_depth=100, max_size=100)
    encoder = load_encoder(EncoderSettings(model_dir=base_model))
    with TestClient(create_app(settings, client=opensearch.client, encoder=encoder)) as api:
        params = {"q": query.text, "mode": "personalized", "user_id": query.user_id, "size": 100}
        body = api.get("/search", params=params).json()
    assert [h["id"] for h in body["hits"]] == run.rankings["personalized"][query.query_id]

    files = write_report(results, tmp_path / "report")
    assert "| personalized |" in files["markdown"].read_text()
    assert "<table>" in files["html"].read_text()
    assert {p.name for p in (tmp_path / "report").glob("*.png")} >= {"metrics.png", "recall_at_k.png"}

    # A model card brings its training curve, written as `aisle train` writes it (steps as floats).
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "model_card.json").write_text("{}")
    (tmp_path / "run" / "curve.csv").write_text("step,seconds,ndcg@10,recall@100\n0.0,0.1,0.2,0.5\n30.0,9.5,0.25,0.6\n")
    write_report(results, tmp_path / "with-card", model_card=tmp_path / "run" / "model_card.json")
    assert (tmp_path / "with-card" / "training.png").stat().st_size > 0


def test_the_gate_fails_the_command_when_a_metric_drops(
    opensearch: TestEngine,
    base_model: Path,
    store: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AISLE_OPENSEARCH_URL", opensearch.url)
    args = [
        "eval",
        "simulated",
        "--store",
        str(store),
        "--base-model",
        str(base_model),
        "--system",
        "bm25",
        "--system",
        "hybrid-minmax",
    ]
    first = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "first")])
    assert first.exit_code == 0, first.output
    results = json.loads((tmp_path / "first" / "results.json").read_text())
    # Its own results pass the gate...
    same = CliRunner().invoke(
        app, [*args, "--out", str(tmp_path / "again"), "--gate", str(tmp_path / "first" / "results.json")]
    )
    assert same.exit_code == 0, same.output
    # ...a baseline 0.05 better in one metric fails it, naming the metric.
    results["systems"]["bm25"]["metrics"]["ndcg@10"]["mean"] += 0.05
    better = tmp_path / "better.json"
    better.write_text(json.dumps(results))
    failed = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "gated"), "--gate", str(better)])
    assert failed.exit_code != 0
    assert "bm25 ndcg@10" in str(failed.exception) + failed.output
