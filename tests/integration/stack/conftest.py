from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from rich.console import Console

from aisle.engine import EngineSettings
from aisle.quickstart import StackReport, StackSettings, bring_up, take_down
from indexer import get_indexer_settings
from tests.support.engine import TestEngine


@dataclass
class Stack:
    """A stack `aisle up` built on a small SIMULATED store, against the session's node."""

    settings: StackSettings
    engine: EngineSettings
    report: StackReport
    alias: str
    users: str


@pytest.fixture(scope="package")
def stack(opensearch: TestEngine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    suffix = uuid.uuid4().hex[:8]
    alias, users = f"qs-products-{suffix}", f"qs-users-{suffix}"
    settings = StackSettings(
        home=tmp_path_factory.mktemp("stack"), products=600, shoppers=60, train_minutes=0, train_max_steps=4, api_port=0
    )
    engine = EngineSettings(url=opensearch.url)
    with pytest.MonkeyPatch.context() as env:
        # The stack's indices get names of their own so that other tests' aliases are untouched.
        env.setenv("AISLE_INDEXER_ALIAS", alias)
        env.setenv("AISLE_INDEXER_USERS_INDEX", users)
        # The API it starts re-ranks with the ranker trained on the store: a generous budget keeps the pages
        # these tests compare from falling back to the fused order on a loaded machine (tests/unit/ranking
        # cover the fallback).
        env.setenv("AISLE_API_RERANK_BUDGET_MS", "2000")
        get_indexer_settings.cache_clear()
        try:
            report = bring_up(settings, engine, Console(quiet=True))
            yield Stack(settings, engine, report, alias, users)
        finally:
            take_down(settings, engine)
            get_indexer_settings.cache_clear()
            opensearch.client.indices.delete(index=f"{alias}-*,{users}-*", ignore_unavailable=True)


def store_dir(stack: Stack) -> Path:
    """The simulated store the stack was built from."""
    return stack.settings.home / "store"
