"""Two builds of one alias at the same time: exactly one wins the alias, the other says why."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

from rich.console import Console

from encoders import Encoder
from indexer import IndexerSettings, IndexStore, build_index
from kernel.errors import AisleError
from tests.support.catalogs import PRODUCTS, write_jsonl
from tests.support.engine import TestEngine
from tests.support.faults import ClientWrapper


class MeetsAtTheSwap(ClientWrapper):
    """The real client, except that each alias change waits (a while) until the other build reaches its own.

    So both builds have read the alias before either moves it: the interleaving that left the alias on
    both new indices.
    """

    def __init__(self, client: Any, barrier: threading.Barrier) -> None:
        super().__init__(client)
        self._barrier = barrier
        self.indices = _Indices(client.indices, barrier)


class _Indices(ClientWrapper):
    def __init__(self, indices: Any, barrier: threading.Barrier) -> None:
        super().__init__(indices)
        self._barrier = barrier

    def update_aliases(self, *args: Any, **kwargs: Any) -> Any:
        try:
            self._barrier.wait(timeout=15)
        except threading.BrokenBarrierError:
            pass  # the other build never got this far
        return self._client.update_aliases(*args, **kwargs)


def test_two_builds_at_once_leave_exactly_one_alias_target(
    store: IndexStore, encoder: Encoder, settings: IndexerSettings, tmp_path: Path
) -> None:
    quiet = Console(quiet=True)
    first = build_index(store, encoder, write_jsonl(tmp_path / "v1.jsonl", PRODUCTS[:5]), settings, console=quiet)
    barrier = threading.Barrier(2)
    catalog = write_jsonl(tmp_path / "v2.jsonl", PRODUCTS)
    outcomes: dict[int, Any] = {}

    def build(n: int) -> None:
        racing = IndexStore(MeetsAtTheSwap(store.client, barrier), settings)
        try:
            outcomes[n] = build_index(racing, encoder, catalog, settings, console=quiet)
        except AisleError as exc:
            outcomes[n] = exc

    threads = [threading.Thread(target=build, args=(n,)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    targets = store.alias_targets(settings.alias)
    assert len(targets) == 1 and targets[0] != first.index, targets
    assert store.count(settings.alias) == len(PRODUCTS)
    failed = [o for o in outcomes.values() if isinstance(o, AisleError)]
    assert len(failed) == 1, f"exactly one build loses, and says why: {outcomes}"
    assert settings.alias in str(failed[0])


def test_two_aisle_index_build_processes_at_once_one_wins_the_other_says_why(
    opensearch: TestEngine, store: IndexStore, base_model: Path, settings: IndexerSettings, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "AISLE_OPENSEARCH_URL": opensearch.url,
        "AISLE_ENCODER_MODEL_DIR": str(base_model),
        "AISLE_INDEXER_REJECTS_DIR": str(tmp_path / "rejects"),
    }
    catalog = write_jsonl(tmp_path / "c.jsonl", PRODUCTS)
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
    builds = [
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in (1, 2)
    ]
    results = [(b.wait(timeout=300), *b.communicate()) for b in builds]
    assert sorted(code for code, _, _ in results) == [0, 1], results
    (loser,) = [stderr for code, _, stderr in results if code == 1]
    assert loser.startswith(f"AliasBusyError: Alias '{settings.alias}' is being changed by `aisle index build` (pid ")
    assert len(store.alias_targets(settings.alias)) == 1
    assert store.count(settings.alias) == len(PRODUCTS)
