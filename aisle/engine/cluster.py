"""A managed local cluster: N OpenSearch nodes of the same distribution on 127.0.0.1, one cluster.

Each member is a `ManagedNode` in `<node_dir>/cluster/node-<i>` with its own ports, data and logs; they find
each other through seed hosts on loopback. Ports are recorded beside the members and reused while free, so
a member restarted after a crash rejoins where its peers expect it. Every member is cluster-manager
eligible and holds data: three nodes survive the loss of any one.
"""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console

from aisle.engine.health import wait_until_green
from aisle.engine.node import ManagedNode, free_port, port_is_free
from aisle.engine.settings import EngineSettings
from aisle.errors import NodeError
from kernel.opensearch.node_card import CLUSTER_DIR, NodeState, read_cluster_states, read_node_state
from kernel.opensearch.settings import running_as_root

__all__ = ["ManagedCluster"]

_FIRST_HTTP_PORT = 9200


class ManagedCluster:
    """`nodes` local OpenSearch nodes forming one cluster under `node_dir/cluster`.

    Args:
        settings: Engine settings, as for one node (each member gets `settings.heap`).
        nodes: How many members; 1 is allowed but survives nothing.
        node_dir: The managed node's directory; defaults to `settings.node_dir`.
    """

    def __init__(self, settings: EngineSettings, nodes: int, node_dir: Path | None = None) -> None:
        if nodes < 1:
            raise NodeError(f"--nodes {nodes}: a cluster needs at least one node.")
        self._settings = settings
        self.node_dir = node_dir or settings.node_dir
        self.cluster_dir = self.node_dir / CLUSTER_DIR
        self.size = nodes
        self._ports_file = self.cluster_dir / "ports.json"
        ports = self._plan_ports()
        names = [f"aisle-node-{i}" for i in range(1, nodes + 1)]
        discovery: dict[str, object] = {
            "discovery.seed_hosts": [f"127.0.0.1:{transport}" for _, transport in ports],
            # Read only when the cluster first forms; later starts join the cluster the data belongs to.
            "cluster.initial_cluster_manager_nodes": names,
        }
        self.members = [
            ManagedNode(
                settings.model_copy(update={"port": http}),
                self.cluster_dir / f"node-{i}",
                name=name,
                discovery=discovery,
                transport_port=transport,
            )
            for i, (name, (http, transport)) in enumerate(zip(names, ports, strict=True), start=1)
        ]

    @staticmethod
    def running_in(node_dir: Path) -> bool:
        """Whether any member of a managed cluster in `node_dir` runs."""
        return bool(read_cluster_states(node_dir))

    @staticmethod
    def stop_all(settings: EngineSettings) -> int:
        """Stop every running member in `settings.node_dir`, whatever size the cluster was started with."""
        members = sorted((settings.node_dir / CLUSTER_DIR).glob("node-*"), reverse=True)
        return sum(ManagedNode(settings, member).stop() for member in members if member.is_dir())

    def running_states(self) -> list[NodeState]:
        """The cards of the members whose processes are alive."""
        return read_cluster_states(self.node_dir)

    def start(self, console: Console | None = None) -> list[NodeState]:
        """Start every member that is not running and wait until all `nodes` have joined and the cluster is green.

        Raises:
            NodeError: the single managed node runs in the same directory (stop it first).
            PortBusyError, NodeFailedError, and what installing the distribution raises.
        """
        if read_node_state(self.node_dir) is not None:
            raise NodeError(
                f"The single managed node runs from {self.node_dir}; stop it (`aisle opensearch stop`) before "
                "starting a cluster there, or set AISLE_OPENSEARCH_NODE_DIR to another directory."
            )
        if running_as_root():
            # The members run as an unprivileged user, who must pass through the directories above theirs.
            for directory in (self.node_dir, self.cluster_dir):
                directory.chmod(directory.stat().st_mode | 0o711)
        launched = [m for m in self.members if m.running_state() is None]
        try:
            for member in launched:
                member.launch(console)
            self.wait_until_green()
        except BaseException:
            for member in launched:
                member.abort()
            raise
        return self.running_states()

    def start_member(self, index: int) -> NodeState:
        """(Re)start one member (0-based) and wait until the whole cluster is green again."""
        member = self.members[index]
        state = member.running_state() or member.launch()
        self.wait_until_green()
        return state

    def wait_until_green(self) -> None:
        """Wait until `nodes` members have joined and every shard is allocated.

        Raises:
            NodeFailedError: a member this object launched exited, or the cluster was not green in time.
        """
        # A member just launched may still be in its launcher script, not yet the process its card names.
        urls = [m.launched.url for m in self.members if m.launched] or [s.url for s in self.running_states()]
        if not urls:
            raise NodeError(
                f"No member of the cluster in {self.cluster_dir} runs; start it with `aisle opensearch start`."
            )
        first = self.members[0]

        def exit_code() -> int | None:
            return next((code for m in self.members if (code := m.exit_code()) is not None), None)

        def log_tail() -> str:
            failed = next((m for m in self.members if m.exit_code() is not None), first)
            return f"[{failed.name}]\n{failed.log_tail()}"

        wait_until_green(urls[0], self._settings.start_timeout_s, exit_code, str(self.cluster_dir), log_tail, self.size)

    def stop(self) -> int:
        """Stop every running member; returns how many were running."""
        return sum(member.stop() for member in reversed(self.members))

    def _plan_ports(self) -> list[tuple[int, int]]:
        # A member keeps its recorded ports while they are free or it holds them itself; seeds must be
        # known before any member starts, so transport ports are chosen here, not by the members.
        try:
            recorded = [tuple(p) for p in json.loads(self._ports_file.read_text())]
        except (OSError, ValueError, TypeError):
            recorded = []
        running = {s.http_port: s for s in self.running_states()}
        ports: list[tuple[int, int]] = []
        for i in range(self.size):
            previous = recorded[i] if i < len(recorded) and len(recorded[i]) == 2 else None
            if previous and (previous[0] in running or (port_is_free(previous[0]) and port_is_free(previous[1]))):
                ports.append((int(previous[0]), int(previous[1])))
                continue
            taken = {p for pair in ports for p in pair}
            candidates = range(_FIRST_HTTP_PORT + i, _FIRST_HTTP_PORT + 100)
            http = next((p for p in candidates if p not in taken and port_is_free(p)), None) or free_port()
            transport = free_port()
            while transport in taken or transport == http:
                transport = free_port()
            ports.append((http, transport))
        self.cluster_dir.mkdir(parents=True, exist_ok=True)
        self._ports_file.write_text(json.dumps(ports))
        return ports
