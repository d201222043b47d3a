from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from encoders import (
    BASE_MODEL_ID,
    Backend,
    Encoder,
    EncoderSettings,
    ProductTextTemplate,
    base_model_dir,
    export_model,
    load_encoder,
)
from tests.support.engine import TestEngine, start_engine
from tests.support.settings import clear_settings_caches


@pytest.fixture(scope="session")
def opensearch(pytestconfig: pytest.Config) -> Iterator[TestEngine]:
    """One real OpenSearch for the whole session (see tests/support/engine.py for the backends)."""
    with start_engine() as engine:
        # Written past output capture: CI logs must say which backend the run used.
        capture = pytestconfig.pluginmanager.get_plugin("capturemanager")
        with capture.global_and_fixture_disabled():
            print(f"\n[aisle] integration backend: {engine.backend} at {engine.url}")
        yield engine


@pytest.fixture(scope="session")
def base_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real base model, exported once per session (sentence-transformers + ONNX fp32 + int8)."""
    out = tmp_path_factory.mktemp("models") / "base"
    export_model(base_model_dir(), out, BASE_MODEL_ID, ProductTextTemplate())
    return out


@pytest.fixture(scope="session")
def encoder(base_model: Path) -> Encoder:
    """The real base model on the ONNX int8 backend, as the indexer and API use it."""
    return load_encoder(EncoderSettings(model_dir=base_model, backend=Backend.ONNX_INT8))


@pytest.fixture(autouse=True)
def fresh_settings() -> Iterator[None]:
    """Each test reads the environment it set: a CLI run in one test must not pin another's cluster URL."""
    clear_settings_caches()
    yield
    clear_settings_caches()


@pytest.fixture
def index_name(opensearch: TestEngine) -> Iterator[str]:
    """A unique index name for one test; the index is deleted afterwards."""
    name = f"test-{uuid.uuid4().hex[:12]}"
    yield name
    opensearch.client.indices.delete(index=name, ignore_unavailable=True)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "opensearch" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.integration)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # In CI a skipped integration test is a failure: it would hide a missing engine.
    if os.environ.get("CI") != "true":
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = [r for r in reporter.stats.get("skipped", []) if "integration" in r.keywords] if reporter else []
    if skipped:
        reporter.write_line(f"[aisle] {len(skipped)} integration test(s) were skipped; CI treats that as a failure.")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
