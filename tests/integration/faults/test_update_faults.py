"""`aisle index update` on bad input and a node that goes away: nothing half-written, every run reported."""

from __future__ import annotations

import gzip
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner

from aisle.cli import app
from aisle.engine import EngineSettings, ManagedNode
from encoders import Encoder
from indexer import IndexerSettings, IndexStore, apply_updates, build_index
from kernel.errors import CatalogError, EngineUnreachableError
from kernel.opensearch import make_client
from tests.support.catalogs import PRODUCTS, write_jsonl
from tests.support.engine import TestEngine
from tests.support.faults import ClientWrapper

QUIET = Console(quiet=True)


def _live(store: IndexStore, encoder: Encoder, settings: IndexerSettings, tmp_path: Path) -> str:
    return build_index(store, encoder, write_jsonl(tmp_path / "c.jsonl", PRODUCTS), settings, console=QUIET).index


def test_a_truncated_update_file_writes_nothing_to_the_live_index(
    store: IndexStore, encoder: Encoder, settings: IndexerSettings, tmp_path: Path
) -> None:
    index = _live(store, encoder, settings, tmp_path)
    changes = [{**p, "id": f"new{i}", "title": f"New product {i} " * 4} for i, p in enumerate(PRODUCTS * 40)]
    whole = gzip.compress("".join(json.dumps(c) + "\n" for c in changes).encode())
    truncated = tmp_path / "u.jsonl.gz"
    truncated.write_bytes(whole[: len(whole) * 3 // 4])
    with pytest.raises(CatalogError, match=r"u\.jsonl\.gz ends early or is corrupt after line \d+"):
        apply_updates(store, encoder, truncated, [], settings)
    store.refresh(index)
    assert store.count(index) == len(PRODUCTS), "not one row of the broken file reached the live index"


def test_each_update_run_keeps_its_own_rejects_file(
    store: IndexStore, encoder: Encoder, settings: IndexerSettings, tmp_path: Path
) -> None:
    _live(store, encoder, settings, tmp_path)
    bad = write_jsonl(tmp_path / "u.jsonl", [PRODUCTS[0], {"title": "no id"}])
    lenient = settings.model_copy(update={"max_reject_rate": 1.0})
    first = apply_updates(store, encoder, bad, [], lenient)
    second = apply_updates(store, encoder, bad, ["gone"], lenient)
    assert first.rejects_path != second.rejects_path
    assert first.rejects_path is not None and second.rejects_path is not None
    assert "missing_id" in first.rejects_path.read_text() and "delete_not_found" in second.rejects_path.read_text()


def test_update_takes_an_alias_and_a_missing_delete_file_is_one_line(
    opensearch: TestEngine,
    store: IndexStore,
    encoder: Encoder,
    base_model: Path,
    settings: IndexerSettings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _live(store, encoder, settings, tmp_path)
    monkeypatch.setenv("AISLE_OPENSEARCH_URL", opensearch.url)
    monkeypatch.setenv("AISLE_ENCODER_MODEL_DIR", str(base_model))
    monkeypatch.setenv("AISLE_INDEXER_REJECTS_DIR", str(tmp_path / "rejects"))
    changed = write_jsonl(tmp_path / "u.jsonl", [{**PRODUCTS[0], "price": 1.0}])
    missing = CliRunner().invoke(
        app, ["index", "update", "--catalog", str(changed), "--alias", settings.alias, "--delete-ids", "nope.txt"]
    )
    assert missing.exit_code == 2 and "nope.txt" in missing.output and "Traceback" not in missing.output
    done = CliRunner().invoke(app, ["index", "update", "--catalog", str(changed), "--alias", settings.alias])
    assert done.exit_code == 0, done.output
    assert "1 price/stock only" in done.output
    assert store.get_many(settings.alias, ["p01"], ["price"])["p01"]["price"] == 1.0


class StopsTheNode(ClientWrapper):
    """The real client; the node is shut down just before the first bulk request of the update."""

    def __init__(self, client: Any, node: ManagedNode) -> None:
        super().__init__(client)
        self._node = node

    def bulk(self, *args: Any, **kwargs: Any) -> Any:
        self.bulk_calls += 1
        if self.bulk_calls == 1:
            self._node.stop()
        return self._client.bulk(*args, **kwargs)


@pytest.mark.slow
def test_a_node_stopped_mid_update_fails_cleanly_and_a_rerun_completes_it(encoder: Encoder, tmp_path: Path) -> None:
    node = ManagedNode(EngineSettings(url=None, port=None), Path(tempfile.mkdtemp(prefix="aisle-update-node-")))
    settings = IndexerSettings(alias="products", rejects_dir=tmp_path, bulk_initial_backoff_s=0)
    try:
        url = node.start().url
        store = IndexStore(make_client(EngineSettings(), url), settings)
        index = build_index(store, encoder, write_jsonl(tmp_path / "v1.jsonl", PRODUCTS), settings, console=QUIET).index
        changes = write_jsonl(tmp_path / "u.jsonl", [{**p, "price": 1.0} for p in PRODUCTS[:10]])
        failing = IndexStore(StopsTheNode(make_client(EngineSettings(), url), node), settings)
        with pytest.raises(EngineUnreachableError):
            apply_updates(failing, encoder, changes, [], settings)
        url = node.start().url  # back, maybe on another port
        store = IndexStore(make_client(EngineSettings(), url), settings)
        assert store.alias_targets("products") == [index]
        report = apply_updates(store, encoder, changes, [], settings)  # its own leftover lease is no obstacle
        assert report.partial + report.unchanged == 10 and report.failed == 0
        prices = store.get_many("products", [p["id"] for p in PRODUCTS[:10]], ["price"])
        assert {d["price"] for d in prices.values()} == {1.0}
    finally:
        node.stop()
        shutil.rmtree(node.node_dir, ignore_errors=True)


def test_a_truncated_catalog_build_prints_one_line_naming_the_file_and_moves_nothing(
    opensearch: TestEngine,
    store: IndexStore,
    encoder: Encoder,
    base_model: Path,
    settings: IndexerSettings,
    tmp_path: Path,
) -> None:
    import os
    import subprocess
    import sys

    live = _live(store, encoder, settings, tmp_path)
    rows = "".join(json.dumps({**p, "id": f"t{i}"}) + "\n" for i, p in enumerate(PRODUCTS * 60))
    whole = gzip.compress(rows.encode())
    broken = tmp_path / "catalog.jsonl.gz"
    broken.write_bytes(whole[: len(whole) // 2])
    env = {
        **os.environ,
        "AISLE_OPENSEARCH_URL": opensearch.url,
        "AISLE_ENCODER_MODEL_DIR": str(base_model),
        "AISLE_INDEXER_REJECTS_DIR": str(tmp_path / "rejects"),
    }
    command = [sys.executable, "-m", "aisle.cli", "index", "build", "--catalog", str(broken), "--alias", settings.alias]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 1
    assert (
        done.stderr.strip().splitlines()[-1].startswith(f"CatalogError: {broken} ends early or is corrupt after line")
    )
    assert "Traceback" not in done.stderr and "Aborted" not in done.stderr
    assert store.alias_targets(settings.alias) == [live]
