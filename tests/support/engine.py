"""The OpenSearch behind the integration tests, whichever backend provides it.

Order: `OPENSEARCH_URL` (a cluster you run), then a testcontainers container when a Docker engine
answers, then a managed local node in a throw-away directory. Tests see only `TestEngine`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from opensearchpy import OpenSearch

from aisle.opensearch import EngineSettings, ManagedNode, make_client

__all__ = ["TestEngine", "start_engine"]


@dataclass(frozen=True)
class TestEngine:
    """A running OpenSearch for tests: where it is, a client, and which backend started it."""

    __test__ = False  # not a test class, despite the name

    url: str
    client: OpenSearch
    backend: str


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def _external(url: str, settings: EngineSettings) -> Iterator[TestEngine]:
    yield TestEngine(url, make_client(settings, url), "external (OPENSEARCH_URL)")


@contextlib.contextmanager
def _managed_node(settings: EngineSettings) -> Iterator[TestEngine]:
    # A node of its own, on a free port and in a fresh directory, so tests never touch the
    # developer's node or data.
    node_dir = Path(tempfile.mkdtemp(prefix="aisle-test-node-"))
    node = ManagedNode(settings.model_copy(update={"port": _free_port()}), node_dir)
    try:
        state = node.start()
        yield TestEngine(state.url, make_client(settings, state.url), f"managed local node ({state.version})")
    finally:
        node.stop()
        shutil.rmtree(node_dir, ignore_errors=True)


@contextlib.contextmanager
def start_engine() -> Iterator[TestEngine]:
    """Start (or connect to) the engine for one test session and tear it down afterwards."""
    settings = EngineSettings(url=None)
    url = os.environ.get("OPENSEARCH_URL")
    backend = _external(url, settings) if url else _managed_node(settings)
    with backend as engine:
        yield engine
