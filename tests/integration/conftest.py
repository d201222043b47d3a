"""Fixtures shared by the integration tests: an alias of each test's own, and the indexer's store on the test node."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from indexer import IndexerSettings, IndexStore
from tests.support.engine import TestEngine


@pytest.fixture
def settings(opensearch: TestEngine, tmp_path: Path) -> Iterator[IndexerSettings]:
    """Indexer settings with an alias of this test's own; its indices are deleted afterwards."""
    tag = uuid.uuid4().hex[:10]
    yield IndexerSettings(
        alias=f"p{tag}",
        users_index=f"u{tag}",
        rejects_dir=tmp_path / "rejects",
        canary_count=3,
        bulk_initial_backoff_s=0,
        encode_batch_size=8,
        bulk_chunk_size=7,
    )
    for prefix in (f"p{tag}", f"u{tag}"):
        opensearch.client.indices.delete(index=f"{prefix}-*", ignore_unavailable=True)


@pytest.fixture
def store(opensearch: TestEngine, settings: IndexerSettings) -> IndexStore:
    return IndexStore(opensearch.client, settings)
