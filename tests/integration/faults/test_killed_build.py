"""A build killed with SIGKILL half-way: never a rollback target, reported by status, removed by gc."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from aisle.cli import app
from encoders import Encoder
from indexer import IndexerSettings, IndexState, IndexStore, build_index, gc, rollback, versions
from tests.support.catalogs import PRODUCTS, write_jsonl
from tests.support.engine import TestEngine

pytestmark = pytest.mark.slow


def _big_catalog(path: Path, size: int) -> Path:
    rows = [
        {**PRODUCTS[i % len(PRODUCTS)], "id": f"k{i}", "title": f"{PRODUCTS[i % 30]['title']} v{i}"}
        for i in range(size)
    ]
    return write_jsonl(path, rows)


def _start_build(
    opensearch: TestEngine, base_model: Path, settings: IndexerSettings, catalog: Path
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "AISLE_OPENSEARCH_URL": opensearch.url,
        "AISLE_ENCODER_MODEL_DIR": str(base_model),
        "AISLE_INDEXER_REJECTS_DIR": str(settings.rejects_dir),
        "AISLE_INDEXER_ENCODE_BATCH_SIZE": "64",
    }
    command = [
        sys.executable,
        "-m",
        "aisle.cli",
        "index",
        "build",
        "--catalog",
        str(catalog),
        "--alias",
        settings.alias,
    ]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_a_killed_build_is_never_rolled_back_to_and_gc_removes_it(
    opensearch: TestEngine,
    store: IndexStore,
    encoder: Encoder,
    base_model: Path,
    settings: IndexerSettings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    quiet = Console(quiet=True)
    good = build_index(store, encoder, write_jsonl(tmp_path / "v1.jsonl", PRODUCTS), settings, console=quiet).index
    build = _start_build(opensearch, base_model, settings, _big_catalog(tmp_path / "big.jsonl", 6000))
    deadline = time.monotonic() + 60
    while len(store.indices(f"{settings.alias}-*")) < 2:
        assert build.poll() is None and time.monotonic() < deadline, "the build ended before it could be killed"
        time.sleep(0.1)
    time.sleep(1.5)  # well into loading (6,000 products take several seconds), long before the swap
    assert build.poll() is None
    build.send_signal(signal.SIGKILL)
    build.wait()
    killed = next(name for name in store.indices(f"{settings.alias}-*") if name != good)
    assert store.alias_targets(settings.alias) == [good]

    # The next build takes over the dead build's lease at once, and goes live.
    latest = build_index(store, encoder, write_jsonl(tmp_path / "v2.jsonl", PRODUCTS[:20]), settings, console=quiet)
    states = {v.index: v.state for v in versions(store, settings.alias)}
    assert states == {good: IndexState.RETIRED, killed: IndexState.BUILDING, latest.index: IndexState.LIVE}

    monkeypatch.setenv("AISLE_OPENSEARCH_URL", opensearch.url)
    monkeypatch.setenv("AISLE_INDEXER_ALIAS", settings.alias)
    shown = CliRunner().invoke(app, ["index", "status"], terminal_width=250)
    assert shown.exit_code == 0, shown.output
    assert killed in shown.output and "building" in shown.output and "live" in shown.output

    assert rollback(store, settings.alias) == (latest.index, good), "the half-built index is skipped"
    assert store.count(settings.alias) == len(PRODUCTS)
    assert gc(store, settings.alias, keep=3) == [killed]
    assert store.indices(f"{settings.alias}-*") == [good, latest.index]
