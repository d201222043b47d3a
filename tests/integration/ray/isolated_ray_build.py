"""`aisle index build --ray` on a real Ray cluster on loopback (a head and one worker node, started here).

Run by `test_ray_build.py` inside a network namespace of its own (see there), never collected directly.

The Ray build of a SIMULATED catalog with bad rows must give what the local build gives: the same ids,
the same documents, the same rejects, vectors within a stated tolerance; and a Ray worker SIGKILLed
mid-build must still end with every accepted row indexed exactly once.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from aisle.simulate.store import StoreConfig, simulate
from indexer import IndexerSettings, IndexStore
from tests.support.catalogs import write_jsonl
from tests.support.engine import TestEngine
from tests.support.ray_cluster import RayCluster, ray_cluster

pytestmark = pytest.mark.slow

# int8 ONNX quantizes activations per batch, and Ray's batches are cut differently from the local ones.
MIN_COSINE = 0.99


@pytest.fixture(scope="module")
def ray() -> Iterator[RayCluster]:
    with ray_cluster() as cluster:
        yield cluster


def _catalog(path: Path, products: int) -> tuple[Path, set[str]]:
    rows: list[dict[str, Any] | str] = list(simulate(StoreConfig(products=products, shoppers=10, seed=5)).products)
    good = {str(row["id"]) for row in rows if isinstance(row, dict)}
    rows[10:10] = ['{"id": "broken', {"id": "no-title"}, dict(rows[3])]  # type: ignore[arg-type]
    return write_jsonl(path, rows), good


def _build(
    opensearch: TestEngine, model: Path, settings: IndexerSettings, catalog: Path, *ray: str, env: dict[str, str]
) -> subprocess.Popen[str]:
    environment = {
        **os.environ,
        **env,
        "AISLE_OPENSEARCH_URL": opensearch.url,
        "AISLE_ENCODER_MODEL_DIR": str(model),
        "AISLE_INDEXER_REJECTS_DIR": str(settings.rejects_dir),
    }
    command = [
        sys.executable,
        "-m",
        "aisle.cli",
        "index",
        "build",
        "--catalog",
        str(catalog),
        "--alias",
        settings.alias,
    ]
    return subprocess.Popen(
        [*command, *ray], env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def _finish(build: subprocess.Popen[str]) -> str:
    output, _ = build.communicate(timeout=900)
    assert build.returncode == 0, output
    assert "Traceback" not in output, output
    return output


def _documents(store: IndexStore, alias: str) -> dict[str, dict[str, Any]]:
    hits = store.search(alias, {"size": 10_000, "query": {"match_all": {}}})["hits"]["hits"]
    return {hit["_id"]: hit["_source"] for hit in hits}


def _rejects(settings: IndexerSettings, alias: str) -> list[dict[str, Any]]:
    [path] = list(settings.rejects_dir.glob(f"{alias}-*.rejects.jsonl"))
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_the_ray_build_gives_the_ids_documents_and_rejects_of_the_local_build(
    opensearch: TestEngine,
    store: IndexStore,
    settings: IndexerSettings,
    base_model: Path,
    ray: RayCluster,
    tmp_path: Path,
) -> None:
    catalog, good = _catalog(tmp_path / "catalog.jsonl", 600)
    local = settings
    on_ray = settings.model_copy(update={"alias": f"{settings.alias}-ray", "rejects_dir": tmp_path / "ray-rejects"})
    _finish(_build(opensearch, base_model, local, catalog, env={}))
    output = _finish(
        _build(opensearch, base_model, on_ray, catalog, "--ray", ray.address, "--ray-workers", "2", env=ray.env)
    )
    assert "600 products indexed, 3 rejected" in output, output

    expected, got = _documents(store, local.alias), _documents(store, on_ray.alias)
    assert set(got) == set(expected) == good
    vectors = {k: np.asarray(doc.pop("vector")) for k, doc in expected.items()}
    cosines = [float(np.dot(vectors[k], np.asarray(doc.pop("vector")))) for k, doc in got.items()]
    assert got == expected
    assert min(cosines) >= MIN_COSINE, min(cosines)
    rejected = _rejects(local, local.alias)
    assert _rejects(on_ray, on_ray.alias) == rejected
    assert len(rejected) == 3 and {"malformed_json", "duplicate_id"} <= {r["code"] for r in rejected}, rejected


def test_a_ray_worker_killed_mid_build_still_indexes_every_row_once(
    opensearch: TestEngine,
    store: IndexStore,
    settings: IndexerSettings,
    base_model: Path,
    ray: RayCluster,
    tmp_path: Path,
) -> None:
    catalog, good = _catalog(tmp_path / "catalog.jsonl", 3000)
    build = _build(opensearch, base_model, settings, catalog, "--ray", ray.address, "--ray-workers", "2", env=ray.env)
    deadline = time.monotonic() + 180
    while not (actors := ray.actor_pids("_EncodeActor")):
        assert build.poll() is None and time.monotonic() < deadline, "the build ended before a worker could be killed"
        time.sleep(0.2)
    time.sleep(3)  # the actors have loaded the model and are encoding
    assert build.poll() is None, "the build ended before a worker could be killed"
    os.kill(actors[0], signal.SIGKILL)
    output = _finish(build)
    assert "3,000 products indexed" in output, output
    ids = [hit["_id"] for hit in store.search(settings.alias, {"size": 10_000, "_source": False})["hits"]["hits"]]
    assert len(ids) == len(set(ids)) == store.count(settings.alias) == len(good)
    assert set(ids) == good
