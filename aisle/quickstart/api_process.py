"""The search API as a background process that outlives `aisle up` and stops with `aisle down`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from aisle.errors import ApiStartError

__all__ = ["api_is_ready", "is_api_process", "start_api", "stop_api"]


def api_is_ready(url: str) -> bool:
    """Whether the API at `url` answers `/ready` with 200."""
    try:
        return httpx.get(f"{url}/ready", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def start_api(env: dict[str, str], host: str, port: int, log_file: Path, timeout_s: float) -> int:
    """Start `aisle serve` detached from this process and wait until it is ready; returns its pid.

    Raises:
        ApiStartError: it exited or was not ready within `timeout_s` (with the end of its log).
    """
    log_file.parent.mkdir(parents=True, exist_ok=True)
    # A shell starts the server in a session of its own and exits: the server then belongs to init,
    # not to this process, so it outlives `aisle up` and never lingers here as a zombie.
    command = [sys.executable, "-m", "aisle.cli", "serve", "--host", host, "--port", str(port)]
    launcher = subprocess.run(
        ["sh", "-c", 'setsid "$@" >>"$AISLE_API_LOG" 2>&1 </dev/null & echo $!', "sh", *command],
        env={**os.environ, **env, "AISLE_API_LOG": str(log_file)},
        capture_output=True,
        text=True,
        check=True,
    )
    pid = int(launcher.stdout.strip())
    url = f"http://{host}:{port}"
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not _alive(pid):
            raise ApiStartError(f"The API exited at start-up; its log ends:\n{_tail(log_file)}")
        if api_is_ready(url):
            return pid
        time.sleep(0.5)
    stop_api(pid)
    raise ApiStartError(f"The API was not ready at {url} after {timeout_s:.0f}s; its log ends:\n{_tail(log_file)}")


def stop_api(pid: int, timeout_s: float = 15.0) -> bool:
    """Stop the API process `pid` (TERM, then KILL). False when it was not running."""
    if not is_api_process(pid):
        return False
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.2)
    os.kill(pid, signal.SIGKILL)
    return True


def is_api_process(pid: int) -> bool:
    """Whether `pid` is a running `aisle serve` (a recorded pid may since belong to another program)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return b"aisle.cli" in cmdline and b"serve" in cmdline and _alive(pid)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"  # an exited process waiting to be reaped is not running


def _tail(path: Path, lines: int = 20) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
