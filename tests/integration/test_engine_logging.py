"""What aisle's OpenSearch client logs: a refused request is a warning, a 404 (an answer aisle expects) is not."""

from __future__ import annotations

import logging
import uuid

import pytest

from indexer import IndexerSettings, IndexStore
from kernel.errors import EngineRequestError
from tests.support.engine import TestEngine


def _warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "opensearch" and r.levelno >= logging.WARNING]


def test_a_missing_alias_is_answered_without_a_warning(
    opensearch: TestEngine, caplog: pytest.LogCaptureFixture
) -> None:
    missing = f"none{uuid.uuid4().hex[:8]}"
    store = IndexStore(opensearch.client, IndexerSettings(alias=missing))
    with caplog.at_level(logging.WARNING, logger="opensearch"):
        assert store.alias_targets(missing) == []
        assert store.get_doc(missing, "some-id") is None
    assert _warnings(caplog) == []


def test_a_refused_request_is_still_a_warning(opensearch: TestEngine, caplog: pytest.LogCaptureFixture) -> None:
    store = IndexStore(opensearch.client, IndexerSettings(alias="x"))
    with caplog.at_level(logging.WARNING, logger="opensearch"), pytest.raises(EngineRequestError):
        store.search("*", {"query": {"no_such_query": {}}})
    assert any("status:400" in r.getMessage() for r in _warnings(caplog))
