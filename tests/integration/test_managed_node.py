"""The managed node's life cycle and its failures, on real OpenSearch processes."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from aisle.engine import EngineSettings, ManagedNode
from aisle.engine.node import free_port
from aisle.errors import NodeFailedError, PortBusyError
from kernel.opensearch import make_client
from tests.support.engine import TestEngine

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def node_dir() -> Iterator[Path]:
    # Not pytest's tmp_path: that lives under a 0700 directory the unprivileged node user cannot enter.
    path = Path(tempfile.mkdtemp(prefix="aisle-node-test-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_data_survives_a_restart_and_stop_ends_the_process(node_dir: Path) -> None:
    node = ManagedNode(EngineSettings(url=None, port=free_port()), node_dir)
    first = node.start()
    try:
        client = make_client(EngineSettings(), first.url)
        client.indices.create(index="kept", body={"settings": {"number_of_replicas": 0}})
        client.index(index="kept", id="1", body={"title": "hammer"}, params={"refresh": "true"})
        assert node.stop()
        assert not Path(f"/proc/{first.pid}").exists()
        assert node.running_state() is None

        second = node.start()
        assert second.pid != first.pid and second.url == first.url
        assert client.get(index="kept", id="1")["_source"] == {"title": "hammer"}
    finally:
        node.stop()
    assert not node.stop(), "stopping a stopped node reports that nothing ran"


def test_a_busy_port_is_refused_before_anything_starts(node_dir: Path) -> None:
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        port = blocker.getsockname()[1]
        with pytest.raises(PortBusyError, match=f"Port {port} on 127.0.0.1 is already in use"):
            ManagedNode(EngineSettings(url=None, port=port), node_dir).start()
    assert not (node_dir / "node.json").exists()


def test_a_node_that_dies_while_starting_reports_its_log(node_dir: Path) -> None:
    # A 1 MiB heap is below the JVM's minimum: the process exits straight away.
    node = ManagedNode(EngineSettings(url=None, port=free_port(), heap="1m"), node_dir)
    with pytest.raises(NodeFailedError) as error:
        node.start()
    message = str(error.value)
    assert "OpenSearch exited with code" in message
    assert f"last lines of {node_dir}/logs/console.log" in message
    assert "heap" in error.value.log_tail.lower()
    assert node.running_state() is None


def _aisle(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aisle.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=120,
        check=False,
    )


def test_status_shows_version_plugins_modules_and_heap(opensearch: TestEngine) -> None:
    result = _aisle("opensearch", "status", AISLE_OPENSEARCH_URL=opensearch.url)
    assert result.returncode == 0, result.stderr
    assert f"url:      {opensearch.url}" in result.stdout
    version = str(opensearch.client.info()["version"]["number"])
    assert f"opensearch-knn {version}" in result.stdout and f"opensearch-neural-search {version}" in result.stdout
    assert "lang-painless" in result.stdout and "analysis-common" in result.stdout
    assert "MiB used of" in result.stdout


def test_an_unreachable_cluster_is_one_line_and_exit_1() -> None:
    result = _aisle("opensearch", "status", AISLE_OPENSEARCH_URL=f"http://127.0.0.1:{free_port()}")
    assert result.returncode == 1
    assert result.stderr.startswith("EngineUnreachableError: OpenSearch at http://127.0.0.1:")
    assert "Traceback" not in result.stderr


def test_state_file_records_the_running_node(node_dir: Path) -> None:
    node = ManagedNode(EngineSettings(url=None, port=free_port()), node_dir)
    state = node.start()
    try:
        recorded = json.loads((node_dir / "node.json").read_text())
        assert recorded["pid"] == state.pid and recorded["url"] == state.url
        # A second start finds the running node instead of launching another.
        assert node.start().pid == state.pid
    finally:
        node.stop()
