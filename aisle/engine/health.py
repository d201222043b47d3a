"""Wait for a starting OpenSearch to turn green, failing fast when its process dies."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from aisle.errors import NodeFailedError

__all__ = ["wait_until_green"]


def wait_until_green(
    url: str,
    timeout_s: float,
    exit_code: Callable[[], int | None],
    log_source: str,
    log_tail: Callable[[], str],
    nodes: int = 1,
) -> None:
    """Poll `url` until the cluster is green with at least `nodes` nodes.

    Args:
        url: The node's HTTP URL.
        timeout_s: How long to wait in all.
        exit_code: Returns the process's exit code once it has exited, else None.
        log_source: Where the log comes from, named in the error.
        log_tail: Returns the last lines of the node's log, for the error.
        nodes: How many nodes must have joined.

    Raises:
        NodeFailedError: the process exited, or the cluster was not green in time.
    """
    deadline = time.monotonic() + timeout_s
    last_status = "no answer"
    with httpx.Client(timeout=5.0, trust_env=False) as http:
        while time.monotonic() < deadline:
            code = exit_code()
            if code is not None:
                raise NodeFailedError(f"OpenSearch exited with code {code} while starting.", log_source, log_tail())
            try:
                response = http.get(
                    f"{url}/_cluster/health",
                    params={"wait_for_status": "green", "wait_for_nodes": f">={nodes}", "timeout": "2s"},
                )
                health = response.json()
                last_status = (
                    f"{health.get('status', 'no cluster manager')}, {health.get('number_of_nodes', 0)} of {nodes} nodes"
                )
                if response.status_code == 200 and health.get("status") == "green":
                    return
            except (httpx.HTTPError, ValueError):
                time.sleep(0.5)
    raise NodeFailedError(
        f"OpenSearch did not turn green within {timeout_s:.0f}s (last status: {last_status}). "
        "Raise AISLE_OPENSEARCH_START_TIMEOUT_S on a slow machine.",
        log_source,
        log_tail(),
    )
