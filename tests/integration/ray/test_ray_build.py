"""The Ray build's tests, run in a network namespace that holds nothing but a loopback interface.

Ray 2.60's GCS, raylets and workers open their gRPC servers on every interface of the machine, whatever
node address they are given, and take the address of the outward interface for 127.0.0.1. In a fresh
network namespace the only interface is `lo`: every Ray server, the test's own OpenSearch node (managed,
started inside) and every connection stay on 127.0.0.1, and nothing can reach them from outside.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from aisle.engine import EngineSettings, find_java, install_distribution

pytestmark = pytest.mark.slow

INNER = Path(__file__).with_name("isolated_ray_build.py")
ROOT = Path(__file__).resolve().parents[3]


def test_the_ray_build_tests_pass_on_a_loopback_only_network() -> None:
    for tool in ("unshare", "ip"):
        assert shutil.which(tool), f"the Ray tests need `{tool}` (util-linux / iproute2) for their own network"
    namespace = ["unshare", "--net"] if os.geteuid() == 0 else ["unshare", "--map-current-user", "--net"]
    inner = 'ip link set lo up && exec "$0" -m pytest -q -p no:cacheprovider "$1"'
    env = {k: v for k, v in os.environ.items() if k not in {"OPENSEARCH_URL", "AISLE_OPENSEARCH_URL"}}
    # Assembled (or found in the cache) out here: inside, Maven Central is out of reach.
    settings = EngineSettings(url=None)
    env["AISLE_OPENSEARCH_VERSION"] = install_distribution(settings, find_java(settings)).version
    env["AISLE_TEST_BACKEND"] = "managed"
    done = subprocess.run(
        [*namespace, "--", "sh", "-c", inner, sys.executable, str(INNER)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    report = f"{done.stdout[-6000:]}\n{done.stderr[-3000:]}"
    assert done.returncode == 0, report
    assert "2 passed" in done.stdout, report
