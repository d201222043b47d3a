"""A Ray address nothing answers at: a clean error at once, the half-built index removed, the alias unchanged."""

from __future__ import annotations

from pathlib import Path

import pytest
from rich.console import Console

from aisle.engine import free_port
from encoders import Encoder, EncoderSettings
from indexer import IndexerSettings, IndexStore, build_index
from indexer.distributed import RayLoader
from indexer.errors import DistributedLoadError
from kernel.opensearch import ConnectionSettings
from tests.support.catalogs import PRODUCTS, write_jsonl
from tests.support.engine import TestEngine


def test_a_ray_cluster_that_does_not_answer_fails_the_build_cleanly(
    opensearch: TestEngine, store: IndexStore, encoder: Encoder, settings: IndexerSettings, tmp_path: Path
) -> None:
    quiet = Console(quiet=True)
    live = build_index(store, encoder, write_jsonl(tmp_path / "v1.jsonl", PRODUCTS), settings, console=quiet).index
    loader = RayLoader(
        f"127.0.0.1:{free_port()}",
        1,
        EncoderSettings(model_dir=encoder.model_dir),
        ConnectionSettings(url=opensearch.url),
    )
    with pytest.raises(DistributedLoadError, match="No Ray cluster answers .* the alias was not moved"):
        build_index(
            store, encoder, write_jsonl(tmp_path / "v2.jsonl", PRODUCTS), settings, console=quiet, loader=loader
        )
    assert store.alias_targets(settings.alias) == [live]
    assert store.indices(f"{settings.alias}-*") == [live]
