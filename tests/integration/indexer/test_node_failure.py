"""OpenSearch stopped in the middle of a build: retries, then a clean failure, alias intact."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from aisle.engine import EngineSettings, ManagedNode
from encoders import Encoder
from indexer import IndexerSettings, IndexStore, build_index
from kernel.errors import EngineUnreachableError
from kernel.opensearch import make_client
from tests.support.catalogs import PRODUCTS, write_jsonl
from tests.support.faults import ClientWrapper

pytestmark = pytest.mark.slow


class StopsTheNode(ClientWrapper):
    """The real client; just before the second bulk request the node is shut down."""

    def __init__(self, client: Any, node: ManagedNode) -> None:
        super().__init__(client)
        self._node = node

    def bulk(self, *args: Any, **kwargs: Any) -> Any:
        self.bulk_calls += 1
        if self.bulk_calls == 2:
            self._node.stop()
        return self._client.bulk(*args, **kwargs)


def test_a_node_stopped_mid_build_fails_cleanly_and_the_alias_survives(encoder: Encoder, tmp_path: Path) -> None:
    node_dir = Path(tempfile.mkdtemp(prefix="aisle-failing-node-"))
    node = ManagedNode(EngineSettings(url=None, port=None), node_dir)
    settings = IndexerSettings(
        alias="products", rejects_dir=tmp_path, bulk_chunk_size=5, encode_batch_size=5, bulk_initial_backoff_s=0
    )
    quiet = Console(quiet=True)
    try:
        url = node.start().url
        store = IndexStore(make_client(EngineSettings(), url), settings)
        live = build_index(store, encoder, write_jsonl(tmp_path / "v1.jsonl", PRODUCTS[:10]), settings, console=quiet)

        failing = StopsTheNode(make_client(EngineSettings(), url), node)
        with pytest.raises(EngineUnreachableError, match="the alias was not moved"):
            build_index(
                IndexStore(failing, settings),
                encoder,
                write_jsonl(tmp_path / "v2.jsonl", PRODUCTS),
                settings,
                console=quiet,
            )
        assert failing.bulk_calls == 2, "the build stops at the first chunk the node could not take"

        node.start()
        assert store.alias_targets("products") == [live.index]
        assert store.count("products") == 10
    finally:
        node.stop()
        shutil.rmtree(node_dir, ignore_errors=True)
