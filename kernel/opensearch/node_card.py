"""The managed node's address card: what a started node leaves in its directory so others can find it.

The node manager (`aisle opensearch start`) writes it; the client reads it when no URL is configured.
Reading needs nothing of the node manager itself, so a serving process never loads it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

__all__ = [
    "CLUSTER_DIR",
    "NODE_MAIN_CLASS",
    "NodeState",
    "forget_node",
    "live_urls",
    "read_cluster_states",
    "read_node_state",
    "write_node_state",
]

STATE_FILE = "node.json"
# A managed cluster's members live in `<node_dir>/cluster/node-<i>`, each with its own card.
CLUSTER_DIR = "cluster"
NODE_MAIN_CLASS = "org.opensearch.bootstrap.OpenSearch"


@dataclass(frozen=True)
class NodeState:
    """What a started node left behind so that later commands can find it."""

    pid: int
    url: str
    http_port: int
    transport_port: int
    version: str
    home: str


def _is_opensearch_process(pid: int) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return NODE_MAIN_CLASS.encode() in cmdline


def read_node_state(node_dir: Path) -> NodeState | None:
    """The card of the node in `node_dir` if its process is alive, else None (a stale card is removed)."""
    card = node_dir / STATE_FILE
    try:
        state = NodeState(**json.loads(card.read_text()))
    except (OSError, ValueError, TypeError):
        return None
    if _is_opensearch_process(state.pid):
        return state
    card.unlink(missing_ok=True)
    return None


def read_cluster_states(node_dir: Path) -> list[NodeState]:
    """The cards of the managed cluster's members in `node_dir` whose processes are alive, by member."""
    numbered = {int(d.name[5:]): d for d in (node_dir / CLUSTER_DIR).glob("node-*") if d.name[5:].isdigit()}
    return [state for _, member in sorted(numbered.items()) if (state := read_node_state(member)) is not None]


def live_urls(node_dir: Path) -> list[str]:
    """Where the managed OpenSearch in `node_dir` answers: the single node, else every live cluster member."""
    single = read_node_state(node_dir)
    if single is not None:
        return [single.url]
    return [state.url for state in read_cluster_states(node_dir)]


def write_node_state(node_dir: Path, state: NodeState) -> None:
    """Leave the card of a node just started."""
    (node_dir / STATE_FILE).write_text(json.dumps(asdict(state), indent=2))


def forget_node(node_dir: Path) -> None:
    """Remove the card of a node that stopped."""
    (node_dir / STATE_FILE).unlink(missing_ok=True)
