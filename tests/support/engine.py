"""The OpenSearch behind the integration tests, whichever backend provides it.

`AISLE_TEST_BACKEND` chooses: `external` (the cluster at `OPENSEARCH_URL`), `testcontainers` (a
container of the locally built image), `managed` (a managed node in a throw-away directory), or
`auto` (the default): `OPENSEARCH_URL` if set, else testcontainers when a Docker engine answers,
else the managed node. A backend chosen by name fails loudly; `auto` falls back quietly only from
"no Docker engine". Tests see only `TestEngine`.
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

import httpx
from opensearchpy import OpenSearch
from rich.console import Console

from aisle.engine import EngineSettings, ManagedNode, find_java, install_distribution
from aisle.engine.health import wait_until_green
from aisle.engine.image import build_image
from aisle.engine.node import free_port
from kernel.opensearch import make_client

__all__ = ["TestEngine", "start_engine"]

# The reaper image cannot be pulled here; containers are removed by the fixture instead.
os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")

BACKENDS = ("auto", "external", "testcontainers", "managed")


@dataclass(frozen=True)
class TestEngine:
    """A running OpenSearch for tests: where it is, a client, and which backend started it."""

    __test__ = False  # not a test class, despite the name

    url: str
    client: OpenSearch
    backend: str


def docker_engine_reachable() -> bool:
    """Whether a Docker engine answers `/_ping` at DOCKER_HOST (default: the usual unix socket)."""
    # Plain sockets, not the docker SDK: its failed pings leak sockets, which pytest turns into errors.
    host = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    try:
        if host.startswith("unix://"):
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(5)
                sock.connect(host.removeprefix("unix://"))
                sock.sendall(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")
                return sock.recv(64).split(b" ")[1:2] == [b"200"]
        if host.startswith("tcp://"):
            return httpx.get(f"http://{host.removeprefix('tcp://')}/_ping", timeout=5).status_code == 200
    except (OSError, httpx.HTTPError):
        return False
    return False


@contextlib.contextmanager
def _external(url: str, settings: EngineSettings) -> Iterator[TestEngine]:
    yield TestEngine(url, make_client(settings, url), "external (OPENSEARCH_URL)")


@contextlib.contextmanager
def _managed_node(settings: EngineSettings) -> Iterator[TestEngine]:
    # A node of its own, on a free port and in a fresh directory, so tests never touch the
    # developer's node or data.
    node_dir = Path(tempfile.mkdtemp(prefix="aisle-test-node-"))
    node = ManagedNode(settings.model_copy(update={"port": free_port()}), node_dir)
    try:
        state = node.start()
        yield TestEngine(state.url, make_client(settings, state.url), f"managed local node ({state.version})")
    finally:
        node.stop()
        shutil.rmtree(node_dir, ignore_errors=True)


@contextlib.contextmanager
def _testcontainer(settings: EngineSettings) -> Iterator[TestEngine]:
    from testcontainers.core.container import DockerContainer

    java = find_java(settings)
    distribution = install_distribution(settings, java, Console(stderr=True))
    image = build_image(settings, distribution, java)
    http_port, transport_port = free_port(), free_port()
    # Host networking: no bridge network exists here, and the node binds loopback only.
    container = (
        DockerContainer(image)
        .with_kwargs(network_mode="host")
        .with_env("OPENSEARCH_JAVA_OPTS", f"-Xms{settings.heap} -Xmx{settings.heap}")
        .with_command([f"-Ehttp.port={http_port}", f"-Etransport.port={transport_port}", "-Ecluster.name=aisle-test"])
    )
    container.start()
    try:
        url = f"http://127.0.0.1:{http_port}"
        wrapped = container.get_wrapped_container()

        def exit_code() -> int | None:
            wrapped.reload()
            return None if wrapped.status in ("created", "running") else int(wrapped.attrs["State"]["ExitCode"])

        def log_tail() -> str:
            return wrapped.logs(tail=40).decode(errors="replace")

        wait_until_green(url, settings.start_timeout_s, exit_code, f"container {wrapped.short_id}", log_tail)
        yield TestEngine(url, make_client(settings, url), f"testcontainers ({image})")
    finally:
        container.stop()


@contextlib.contextmanager
def start_engine() -> Iterator[TestEngine]:
    """Start (or connect to) the engine for one test session and tear it down afterwards."""
    settings = EngineSettings(url=None)
    choice = os.environ.get("AISLE_TEST_BACKEND", "auto")
    if choice not in BACKENDS:
        raise ValueError(f"AISLE_TEST_BACKEND={choice!r} is not one of {', '.join(BACKENDS)}.")
    url = os.environ.get("OPENSEARCH_URL")
    if choice == "auto":
        choice = "external" if url else "testcontainers" if docker_engine_reachable() else "managed"
    if choice == "external":
        if not url:
            raise ValueError("AISLE_TEST_BACKEND=external needs OPENSEARCH_URL.")
        backend = _external(url, settings)
    elif choice == "testcontainers":
        backend = _testcontainer(settings)
    else:
        backend = _managed_node(settings)
    with backend as engine:
        yield engine
