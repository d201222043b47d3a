"""schemathesis over the API's own OpenAPI document, with all its default checks: no 5xx, no schema violation."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from aisle.engine import free_port
from encoders import Encoder
from indexer import IndexerSettings
from query_api import create_app
from tests.integration.api.conftest import api_settings
from tests.support.engine import TestEngine

CONFIG = Path(__file__).parents[2] / "schemathesis.toml"
pytestmark = pytest.mark.slow


@pytest.fixture
def served(opensearch: TestEngine, encoder: Encoder, catalog_aliases: IndexerSettings) -> Iterator[str]:
    """The API over the test catalog, served on a port of its own from a thread."""
    app = create_app(api_settings(catalog_aliases), client=opensearch.client, encoder=encoder)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(100):
        if server.started:
            break
        thread.join(0.1)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def test_schemathesis_finds_nothing_with_its_default_checks(served: str) -> None:
    # Bounded: 60 examples per operation and phase, a fixed seed (the same cases every run), 5 minutes.
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--config-file",
        str(CONFIG),
        "run",
        f"{served}/openapi.json",
        "--max-examples",
        "60",
        "--seed",
        "20261201",
        "--no-color",
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout[-6000:]
    assert "No issues found" in done.stdout
