"""`aisle up` end to end on a small SIMULATED store: every step, a fast rerun, and `aisle down`."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import httpx
import pytest
from rich.console import Console

from aisle.engine import EngineSettings
from aisle.quickstart import StackSettings, bring_up, take_down
from aisle.quickstart.api_process import is_api_process
from aisle.quickstart.stack import CURRENT
from encoders.loading import BASE_MODEL_ID
from encoders.user_tower import USER_GATE_FILE
from indexer import get_indexer_settings
from tests.integration.stack.conftest import Stack, store_dir
from tests.support.catalogs import PRODUCTS
from tests.support.engine import TestEngine

STEPS = [
    "start OpenSearch",
    "generate the SIMULATED store",
    "train the user tower on the store's searches and purchase histories",
    "index the catalog",
    "index the shoppers' profiles",
    "train the ranking stage on the store's search log",
    "start the search API",
]


def test_first_run_builds_every_step_and_serves_personalized_search(stack: Stack, opensearch: TestEngine) -> None:
    assert [s.name for s in stack.report.steps] == STEPS
    assert all(s.outcome != CURRENT for s in stack.report.steps)
    catalog = [json.loads(line) for line in (store_dir(stack) / "catalog.jsonl").read_text().splitlines()]
    assert opensearch.client.count(index=stack.alias)["count"] == len(catalog)
    # The served model is the base encoder with the trained user tower beside it.
    meta = next(iter(opensearch.client.indices.get_mapping(index=stack.alias).values()))["mappings"]["_meta"]
    assert meta["aisle"]["encoder"]["model_id"] == BASE_MODEL_ID
    card = json.loads((stack.settings.home / "training" / "model_card.json").read_text())
    assert card["steps"] == 4 and "encoder frozen" in card["loss"]
    assert (stack.settings.home / "training" / "model" / USER_GATE_FILE).is_file()
    # The catalog was encoded once: the index took the vectors the tower step made.
    indexed = next(step for step in stack.report.steps if step.name == "index the catalog")
    assert f"{len(catalog):,} vectors from the tower step" in indexed.outcome

    frequent = max(
        (json.loads(line) for line in (store_dir(stack) / "shoppers.jsonl").read_text().splitlines()),
        key=lambda s: s["purchases"],
    )
    answer = httpx.get(f"{stack.report.api_url}/search", params={"q": "bench", "user_id": frequent["user_id"]})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["hits"] and body["personalization"]["applied"] is True
    assert body["personalization"]["history_size"] > 0
    # The ranker trained on the store's log re-ranks the served page.
    assert body["ranking"]["applied"] is True and body["ranking"]["model"].startswith("ltr-simulated")


def test_rerun_skips_every_current_step_and_keeps_the_api(stack: Stack) -> None:
    api_pid = json.loads((stack.settings.home / "state.json").read_text())["api"]["pid"]
    again = bring_up(stack.settings, stack.engine, Console(quiet=True))
    assert [s.name for s in again.steps] == STEPS
    assert [s.outcome for s in again.steps[1:]] == [CURRENT] * (len(STEPS) - 1)
    assert again.api_url == stack.report.api_url
    assert json.loads((stack.settings.home / "state.json").read_text())["api"]["pid"] == api_pid


def test_down_stops_the_api_and_a_second_down_finds_nothing(stack: Stack) -> None:
    settings = StackSettings(**stack.settings.model_dump())
    state = json.loads((settings.home / "state.json").read_text())
    pid = state["api"]["pid"]
    assert is_api_process(pid)
    assert take_down(settings, stack.engine) == [f"search API (pid {pid})"]
    assert not is_api_process(pid)
    assert take_down(settings, stack.engine) == []
    # Bringing it back up restarts only the API.
    again = bring_up(settings, stack.engine, Console(quiet=True))
    assert [s.name for s in again.steps if s.outcome != CURRENT] == ["start OpenSearch", "start the search API"]


def test_a_changed_api_setting_restarts_the_api(stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    pid = json.loads((stack.settings.home / "state.json").read_text())["api"]["pid"]
    monkeypatch.setenv("AISLE_API_API_KEY", "s3cret")
    keyed = bring_up(stack.settings, stack.engine, Console(quiet=True))
    assert {s.name: s.outcome for s in keyed.steps}["start the search API"] != CURRENT
    assert not is_api_process(pid)
    assert httpx.get(f"{keyed.api_url}/search", params={"q": "bench"}).status_code == 401
    assert (
        httpx.get(f"{keyed.api_url}/search", params={"q": "bench"}, headers={"X-API-Key": "s3cret"}).status_code == 200
    )
    monkeypatch.delenv("AISLE_API_API_KEY")
    open_again = bring_up(stack.settings, stack.engine, Console(quiet=True))
    assert httpx.get(f"{open_again.api_url}/search", params={"q": "bench"}).status_code == 200


def test_a_changed_catalog_is_reindexed_and_the_api_restarted(stack: Stack, opensearch: TestEngine) -> None:
    settings = stack.settings
    before = opensearch.client.indices.get_alias(name=stack.alias)
    catalog = store_dir(stack) / "catalog.jsonl"
    original = catalog.read_text()
    try:
        lines = original.splitlines()
        catalog.write_text("\n".join(lines[:-1]) + "\n")  # one product fewer
        again = bring_up(settings, stack.engine, Console(quiet=True))
        outcomes = {s.name: s.outcome for s in again.steps}
        assert outcomes["index the catalog"] != CURRENT
        assert (
            outcomes["train the user tower on the store's searches and purchase histories"] != CURRENT
        )  # its data changed too
        assert outcomes["start the search API"] != CURRENT
        assert opensearch.client.count(index=stack.alias)["count"] == len(lines) - 1
        assert opensearch.client.indices.get_alias(name=stack.alias) != before
        assert httpx.get(f"{again.api_url}/ready").status_code == 200
    finally:
        catalog.write_text(original)


def test_own_catalog_and_events_use_the_base_model(
    opensearch: TestEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    alias, users = f"qs-own-{uuid.uuid4().hex[:8]}", f"qs-own-users-{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("AISLE_INDEXER_ALIAS", alias)
    monkeypatch.setenv("AISLE_INDEXER_USERS_INDEX", users)
    get_indexer_settings.cache_clear()
    catalog, events = tmp_path / "catalog.jsonl", tmp_path / "events.jsonl"
    catalog.write_text("".join(json.dumps(p) + "\n" for p in PRODUCTS))
    events.write_text(
        "".join(
            json.dumps({"user_id": "u1", "product_id": p["id"], "timestamp": f"2026-10-0{i + 1}T10:00:00Z"}) + "\n"
            for i, p in enumerate(PRODUCTS[:3])
        )
    )
    settings = StackSettings(home=tmp_path / "stack", api_port=0)
    engine = EngineSettings(url=opensearch.url)
    try:
        report = bring_up(settings, engine, Console(quiet=True), catalog=catalog, events=events)
        assert [s.name for s in report.steps] == [
            "start OpenSearch",
            "export the base encoder",
            "index the catalog",
            "index the shoppers' profiles",
            "start the search API",
        ]
        assert not report.simulated
        assert opensearch.client.count(index=alias)["count"] == len(PRODUCTS)
        body = httpx.get(f"{report.api_url}/search", params={"q": "drill", "user_id": "u1"}).json()
        assert body["personalization"]["applied"] is True and body["hits"]
    finally:
        take_down(settings, engine)
        get_indexer_settings.cache_clear()
        opensearch.client.indices.delete(index=f"{alias}-*,{users}-*", ignore_unavailable=True)
