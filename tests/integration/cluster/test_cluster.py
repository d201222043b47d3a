"""A real 3-node cluster on loopback: the layout aisle builds on it, and what happens when a node dies.

One cluster for the module (`aisle opensearch start --nodes 3`'s code, its own directory and ports): a
SIMULATED store indexed with the defaults (3 shards, 1 replica), searched through the API while the cluster
manager is SIGKILLed, and rebuilt while a data node is SIGKILLed. After each kill the node comes back and
every acknowledged document must be there.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from opensearchpy import OpenSearch
from rich.console import Console
from typer.testing import CliRunner

from aisle.cli import app
from aisle.engine import EngineSettings, ManagedCluster
from aisle.simulate.store import StoreConfig, simulate, write_store
from encoders import Encoder
from indexer import IndexerSettings, IndexStore, build_index, build_users_index
from kernel.catalog.reader import read_rows
from kernel.opensearch import make_client
from kernel.rejects import RejectLog
from query_api import QueryApiSettings, create_app

pytestmark = pytest.mark.slow

NODES = 3
SEARCHES = 1500
KILL_AFTER = 300


@dataclass
class Cluster:
    """The running test cluster and what was indexed on it."""

    cluster: ManagedCluster
    settings: EngineSettings
    client: OpenSearch
    indexer: IndexerSettings
    store_dir: Path
    ids: set[str] = field(default_factory=set)


@pytest.fixture(scope="module")
def cluster(encoder: Encoder, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    node_dir = Path(tempfile.mkdtemp(prefix="aisle-test-cluster-"))
    settings = EngineSettings(url=None, port=None, heap="512m", node_dir=node_dir)
    managed = ManagedCluster(settings, NODES, node_dir)
    try:
        managed.start(Console(quiet=True))
        client = make_client(settings)  # every live member, from the cards the members left
        tmp = tmp_path_factory.mktemp("cluster")
        files = write_store(simulate(StoreConfig(products=2000, shoppers=150, seed=3)), tmp / "store")
        indexer = IndexerSettings(alias="products", users_index="users", rejects_dir=tmp / "rejects")
        store = IndexStore(client, indexer)
        build_index(store, encoder, files["catalog.jsonl"], indexer, console=Console(quiet=True))
        build_users_index(
            store, indexer.alias, read_rows(files["events.jsonl"], "jsonl"), RejectLog(tmp / "u.jsonl"), indexer
        )
        ids = {json.loads(line)["id"] for line in files["catalog.jsonl"].read_text().splitlines()}
        _wait_for_green(client)  # the replicas are still being copied right after a build
        yield Cluster(managed, settings, client, indexer, tmp / "store", ids)
    finally:
        managed.stop()
        shutil.rmtree(node_dir, ignore_errors=True)


def _wait_for_green(client: OpenSearch) -> None:
    health = client.cluster.health(params={"wait_for_status": "green", "timeout": "120s"}, request_timeout=130)
    assert health["status"] == "green", health


def _stored_ids(client: OpenSearch, index: str) -> set[str]:
    hits = client.search(index=index, body={"size": 10_000, "_source": False, "query": {"match_all": {}}})
    return {hit["_id"] for hit in hits["hits"]["hits"]}


def _manager(client: OpenSearch) -> str:
    return str(client.cat.cluster_manager(format="json")[0]["node"])


def _back_to_green(cluster: Cluster, member: int) -> None:
    cluster.cluster.start_member(member)
    health = cluster.client.cluster.health()
    assert health["status"] == "green" and health["number_of_nodes"] == NODES


def test_the_default_layout_spreads_three_shards_and_a_replica_over_the_nodes(cluster: Cluster) -> None:
    index = cluster.client.indices.get_alias(name=cluster.indexer.alias).popitem()[0]
    shards = cluster.client.cat.shards(index=index, format="json")
    assert sorted((s["shard"], s["prirep"]) for s in shards) == sorted(
        (str(n), kind) for n in range(3) for kind in ("p", "r")
    )
    by_node: dict[str, set[str]] = {}
    for shard in shards:
        by_node.setdefault(shard["node"], set()).add(shard["shard"])
    assert len(by_node) == NODES and all(len(held) == 2 for held in by_node.values()), by_node
    users = cluster.client.indices.get_alias(name=cluster.indexer.users_index).popitem()[0]
    assert cluster.client.indices.get_settings(index=users)[users]["settings"]["index"]["number_of_replicas"] == "1"
    # Force-merged per shard before the replicas existed: one segment per primary.
    assert IndexStore(cluster.client, cluster.indexer).segments(index) == 3

    status = CliRunner().invoke(
        app, ["opensearch", "status"], env={"AISLE_OPENSEARCH_NODE_DIR": str(cluster.settings.node_dir)}
    )
    assert status.exit_code == 0, status.output
    assert "health:   green" in status.output and f"nodes:    {NODES}" in status.output
    assert "0 unassigned" in status.output, status.output


class _HealthWatch(threading.Thread):
    """Polls the cluster's health on every node but one, and notes when it first stopped being green."""

    def __init__(self, urls: list[str]) -> None:
        super().__init__(daemon=True)
        self._urls = urls
        self.not_green_at: float | None = None
        self.seen: list[str] = []
        self._done = threading.Event()

    def run(self) -> None:
        with httpx.Client(timeout=1.0, trust_env=False) as http:
            while not self._done.is_set():
                for url in self._urls:
                    try:
                        status = http.get(f"{url}/_cluster/health").json()["status"]
                    except (httpx.HTTPError, ValueError, KeyError):
                        continue
                    self.seen.append(status)
                    if status != "green" and self.not_green_at is None:
                        self.not_green_at = time.monotonic()
                    break
                self._done.wait(0.1)

    def stop(self) -> None:
        self._done.set()
        self.join()


def test_searches_survive_the_cluster_manager_being_killed(cluster: Cluster, encoder: Encoder) -> None:
    sessions = [json.loads(line) for line in (cluster.store_dir / "sessions.jsonl").read_text().splitlines()]
    requests = [{"q": s["query"], "user_id": s["user_id"]} for s in sessions]
    _wait_for_green(cluster.client)  # so that the first state other than green is the loss
    manager = _manager(cluster.client)
    victim = next(i for i, m in enumerate(cluster.cluster.members) if m.name == manager)
    survivors = [s.url for i, s in enumerate(cluster.cluster.running_states()) if i != victim]
    settings = QueryApiSettings(alias=cluster.indexer.alias, users_index=cluster.indexer.users_index)
    api = create_app(settings, client=make_client(cluster.settings), encoder=encoder)
    failures: list[tuple[int, float, int, str]] = []
    watch = _HealthWatch(survivors)
    killed_at = 0.0
    with TestClient(api) as http:
        watch.start()
        for n in range(SEARCHES):
            if n == KILL_AFTER:
                assert cluster.cluster.members[victim].kill()
                killed_at = time.monotonic()
            response = http.get("/search", params={**requests[n % len(requests)], "size": 10})
            ok = response.status_code == 200 and response.json()["hits"]
            if not ok:
                failures.append((n, time.monotonic(), response.status_code, response.text[:200]))
    watch.stop()
    try:
        assert watch.not_green_at is not None and watch.not_green_at > killed_at, watch.seen[-5:]
        # At most 0.1% of the searches fail, and none once the cluster has reported the loss.
        assert len(failures) <= SEARCHES // 1000, failures
        assert all(at < watch.not_green_at for _, at, _, _ in failures), failures
        assert _manager(cluster.client) != manager, "a new cluster manager was elected"
    finally:
        _back_to_green(cluster, victim)
    index = cluster.client.indices.get_alias(name=cluster.indexer.alias).popitem()[0]
    assert _stored_ids(cluster.client, index) == cluster.ids


def _build(cluster: Cluster, base_model: Path, catalog: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if k != "AISLE_OPENSEARCH_URL"}
    env.update(
        AISLE_OPENSEARCH_NODE_DIR=str(cluster.settings.node_dir),
        AISLE_ENCODER_MODEL_DIR=str(base_model),
        AISLE_INDEXER_REJECTS_DIR=str(cluster.indexer.rejects_dir),
        AISLE_INDEXER_ENCODE_BATCH_SIZE="64",
    )
    command = [sys.executable, "-m", "aisle.cli", "index", "build", "--catalog", str(catalog), "--alias", "products"]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_a_node_killed_during_a_build_leaves_a_complete_index_or_the_alias_unchanged(
    cluster: Cluster, base_model: Path
) -> None:
    client = cluster.client
    live = list(client.indices.get_alias(name="products"))
    manager = _manager(client)
    victim = next(i for i, m in enumerate(cluster.cluster.members) if m.name != manager)
    build = _build(cluster, base_model, cluster.store_dir / "catalog.jsonl")
    deadline = time.monotonic() + 120
    while len(client.indices.get(index="products-*")) < len(live) + 1:
        assert build.poll() is None and time.monotonic() < deadline, "the build ended before a node could be killed"
        time.sleep(0.1)
    time.sleep(1.5)  # into loading: 2,000 products take several seconds to encode
    assert build.poll() is None, "the build ended before a node could be killed"
    assert cluster.cluster.members[victim].kill()
    output, _ = build.communicate(timeout=600)
    try:
        assert "Traceback" not in output, output
        targets = list(client.indices.get_alias(name="products"))
        if build.returncode == 0:
            assert targets != live, output
            assert _stored_ids(client, targets[0]) == cluster.ids
        else:
            assert "alias was not moved" in output, output
            assert targets == live, output
    finally:
        _back_to_green(cluster, victim)
    targets = list(client.indices.get_alias(name="products"))
    assert _stored_ids(client, targets[0]) == cluster.ids
    assert client.count(index="products")["count"] == len(cluster.ids)
