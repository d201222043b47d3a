"""A Ray cluster for tests: a head and one worker node, each a `ray start --block` process.

Started inside a network namespace holding only `lo` (tests/integration/ray/test_ray_build.py), where Ray
has no other address to take or listen on than 127.0.0.1.

Each runs in a session of its own; Ray's worker processes start sessions of their own too, so stopping
the cluster kills by PID every process descended from the two it started (raylets, GCS, workers), and
nothing else on the machine.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from aisle.engine import free_port

__all__ = ["RayCluster", "ray_cluster"]


@dataclass(frozen=True)
class RayCluster:
    """Where the test cluster's head listens, the environment a driver needs, and its process groups."""

    address: str
    env: dict[str, str]
    groups: tuple[int, ...]

    def actor_pids(self, name: str) -> list[int]:
        """PIDs of this cluster's worker processes whose title names `name` (e.g. an actor class)."""
        found = []
        for pid in descendants(self.groups):
            try:
                title = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if title.startswith("ray::") and name in title:
                found.append(pid)
        return found


def descendants(roots: tuple[int, ...]) -> list[int]:
    """Every live process below `roots` in the process tree (from /proc's parent links)."""
    children: dict[int, list[int]] = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rpartition(")")[2].split()[1])
        children.setdefault(parent, []).append(int(proc.name))
    found: list[int] = []
    stack = list(roots)
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def _ray(*args: str) -> list[str]:
    return [str(Path(sys.executable).with_name("ray")), "start", "--block", "--disable-usage-stats", *args]


@contextlib.contextmanager
def ray_cluster(cpus_per_node: int = 2) -> Iterator[RayCluster]:
    """Start a head and one worker node on 127.0.0.1; stop both, with everything they spawned, afterwards."""
    temp = Path(tempfile.mkdtemp(prefix="aisle-ray-"))
    port = free_port()
    common = [f"--num-cpus={cpus_per_node}", "--object-store-memory=300000000"]
    # Token authentication, with a token of this cluster's own that every node and driver is given.
    auth = {
        "RAY_AUTH_MODE": "token",
        "RAY_AUTH_TOKEN": secrets.token_hex(16),
        "RAY_USAGE_STATS_ENABLED": "0",
    }
    env = {**os.environ, **auth}
    processes: list[subprocess.Popen[bytes]] = []
    log = (temp / "ray.log").open("ab")
    try:
        processes.append(
            subprocess.Popen(
                _ray(
                    "--head",
                    f"--port={port}",
                    "--include-dashboard=false",
                    f"--temp-dir={temp}",
                    *common,
                ),
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
        address = f"127.0.0.1:{port}"
        _wait_for_port(port, processes[0], temp)
        processes.append(
            subprocess.Popen(
                _ray(f"--address={address}", *common),
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
        cluster = RayCluster(address, auth, tuple(p.pid for p in processes))
        _wait_for_nodes(address, 2, processes, temp, env)
        yield cluster
    finally:
        spawned = descendants(tuple(p.pid for p in processes))
        for process in reversed(processes):
            _stop_group(process)
        for pid in spawned + descendants(tuple(spawned)):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        log.close()
        shutil.rmtree(temp, ignore_errors=True)


def _wait_for_port(port: int, process: subprocess.Popen[bytes], temp: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"ray start --head exited: {(temp / 'ray.log').read_text()[-2000:]}")
        with contextlib.suppress(OSError):
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        time.sleep(0.5)
    raise RuntimeError(f"the Ray head did not listen on {port} within 120 s")


def _wait_for_nodes(
    address: str, nodes: int, processes: list[subprocess.Popen[bytes]], temp: Path, env: dict[str, str]
) -> None:
    probe = (
        "import ray, sys; ray.init(address=sys.argv[1], logging_level='ERROR', log_to_driver=False); "
        "print(sum(n['Alive'] for n in ray.nodes()))"
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in processes):
            raise RuntimeError(f"a ray start exited: {(temp / 'ray.log').read_text()[-2000:]}")
        done = subprocess.run(
            [sys.executable, "-c", probe, address], capture_output=True, text=True, timeout=60, env=env
        )
        if done.returncode == 0 and done.stdout.strip().splitlines()[-1:] == [str(nodes)]:
            return
        time.sleep(1)
    log = (temp / "ray.log").read_text()[-3000:]
    raise RuntimeError(f"the Ray cluster at {address} did not reach {nodes} nodes within 120 s: {log}")


def _stop_group(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=5)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=10)
