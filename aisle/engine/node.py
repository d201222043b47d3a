"""A managed single-node OpenSearch on 127.0.0.1: start, stop and inspect it.

Everything the node writes lives in one directory (`node_dir`): its config copy, data, logs and the
address card (`kernel.opensearch.node_card`) that records the running process, so a later `aisle`
invocation, or a client, finds it again. The
data directory survives restarts. OpenSearch refuses to run as root, so when aisle runs as root the
node runs as an unprivileged system user that owns `node_dir`.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from collections import deque
from pathlib import Path

from rich.console import Console

from aisle.engine.distribution import Distribution, install_distribution
from aisle.engine.health import wait_until_green
from aisle.engine.java import JavaRuntime, find_java, jvm_options_for
from aisle.engine.settings import NODE_TUNING, EngineSettings
from aisle.errors import NodeError, PortBusyError
from kernel.opensearch.node_card import NodeState, forget_node, read_node_state, write_node_state

__all__ = ["ManagedNode", "free_port", "port_is_free"]

_PREFERRED_PORT = 9200
_STOP_GRACE_S = 30.0


class ManagedNode:
    """One local OpenSearch node living in `node_dir`.

    Args:
        settings: Engine settings (distribution source, heap, port, run-as user).
        node_dir: Where the node keeps config, data and logs; defaults to `settings.node_dir`.
        name: The node's name in its cluster.
        discovery: How it finds its cluster: None for a cluster of its own (`discovery.type: single-node`),
            else the member's discovery settings (seed hosts, initial cluster managers; see `ManagedCluster`).
        transport_port: The node-to-node port; None picks a free one.
    """

    def __init__(
        self,
        settings: EngineSettings,
        node_dir: Path | None = None,
        *,
        name: str = "aisle-node",
        discovery: dict[str, object] | None = None,
        transport_port: int | None = None,
    ) -> None:
        self._settings = settings
        self.node_dir = node_dir or settings.node_dir
        self.name = name
        self._discovery = discovery
        self._transport_port = transport_port
        # Kept for the node's lifetime: a Popen dropped while its child runs warns, and stop()
        # reaps the child through it when this process started the node.
        self._process: subprocess.Popen[bytes] | None = None
        # What this object launched, while its process runs.
        self.launched: NodeState | None = None

    @property
    def log_path(self) -> Path:
        """The node's console log: start-up failures land here first."""
        return self.node_dir / "logs" / "console.log"

    def running_state(self) -> NodeState | None:
        """The state of the node if its process is alive, else None (a stale card is removed)."""
        return read_node_state(self.node_dir)

    def start(self, console: Console | None = None) -> NodeState:
        """Start the node (assembling the distribution first if needed) and wait until it is green.

        Returns the running node's state; a node that already runs is returned as is.

        Raises:
            JavaNotFoundError, DownloadError, ChecksumError, AssemblyError: while preparing.
            PortBusyError: the configured port is taken.
            NodeFailedError: the process exited or did not turn green in time (with the log tail).
        """
        running = self.running_state()
        if running is not None:
            return running
        state = self.launch(console)
        try:
            wait_until_green(
                state.url, self._settings.start_timeout_s, self.exit_code, str(self.log_path), self.log_tail
            )
        except BaseException:
            self.abort()
            raise
        return state

    def abort(self) -> None:
        """Stop the process this object launched, whatever state it reached, and remove its card."""
        if self._process is not None:
            self._terminate(self._process.pid)
            self._process.wait()
            self._process = None
        self.launched = None
        forget_node(self.node_dir)

    def launch(self, console: Console | None = None) -> NodeState:
        """Start the node's process without waiting for its cluster (members of a cluster wait together).

        Raises:
            JavaNotFoundError, DownloadError, ChecksumError, AssemblyError: while preparing.
            PortBusyError: the configured port is taken.
        """
        console = console or Console(stderr=True)
        java = find_java(self._settings)
        distribution = install_distribution(self._settings, java, console)
        http_port = self._choose_http_port()
        transport_port = self._transport_port or free_port()
        self._write_config(distribution, java, http_port, transport_port)
        run_as = self._prepare_run_user()
        process = self._process = self._launch(distribution, java, run_as)
        state = NodeState(
            process.pid,
            f"http://127.0.0.1:{http_port}",
            http_port,
            transport_port,
            distribution.version,
            str(distribution.home),
        )
        write_node_state(self.node_dir, state)
        self.launched = state
        return state

    def exit_code(self) -> int | None:
        """The exit code of the process this object started, once it has exited; None while it runs."""
        return self._process.poll() if self._process is not None else None

    def kill(self) -> bool:
        """SIGKILL the node's process group at once, as a crash would (for fault tests). False if none ran."""
        state = self.running_state()
        if state is None:
            return False
        with contextlib.suppress(ProcessLookupError):
            os.killpg(state.pid, signal.SIGKILL)
        if self._process is not None:
            self._process.wait()
            self._process = None
        else:
            while _process_alive(state.pid):
                time.sleep(0.05)
        self.launched = None
        return True

    def stop(self) -> bool:
        """Stop the node cleanly (SIGTERM, then SIGKILL after a grace period). False if none ran."""
        state = self.running_state()
        if state is None:
            return False
        self._terminate(state.pid)
        if self._process is not None:
            self._process.wait()
            self._process = None
        self.launched = None
        forget_node(self.node_dir)
        return True

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of the console log, or a note that there is none."""
        try:
            with self.log_path.open(encoding="utf-8", errors="replace") as log:
                return "".join(deque(log, maxlen=lines)).rstrip() or "(the log is empty)"
        except OSError:
            return "(no log was written)"

    def _choose_http_port(self) -> int:
        wanted = self._settings.port
        if wanted is not None:
            if not port_is_free(wanted):
                raise PortBusyError(wanted)
            return wanted
        # Keep the URL stable across restarts when the port is still free.
        previous = self._previous_port()
        for port in (previous, _PREFERRED_PORT):
            if port and port_is_free(port):
                return port
        return free_port()

    def _previous_port(self) -> int | None:
        try:
            return int(json.loads((self.node_dir / "last-port").read_text()))
        except (OSError, ValueError):
            return None

    def _write_config(self, distribution: Distribution, java: JavaRuntime, http_port: int, transport_port: int) -> None:
        config = self.node_dir / "config"
        # The config is rebuilt from the distribution on every start so an upgrade never runs on a
        # stale copy; data and logs are left alone.
        shutil.rmtree(config, ignore_errors=True)
        shutil.copytree(distribution.home / "config", config)
        for sub in ("data", "logs", "tmp"):
            (self.node_dir / sub).mkdir(parents=True, exist_ok=True)
        settings = {
            "cluster.name": "aisle",
            "node.name": self.name,
            **(self._discovery or {"discovery.type": "single-node"}),
            "network.host": "127.0.0.1",
            "http.port": http_port,
            "transport.port": transport_port,
            "path.data": str(self.node_dir / "data"),
            "path.logs": str(self.node_dir / "logs"),
            "cluster.routing.allocation.disk.threshold_enabled": False,
            "bootstrap.system_call_filter": False,
            **NODE_TUNING,
        }
        (config / "opensearch.yml").write_text("".join(f"{k}: {json.dumps(v)}\n" for k, v in settings.items()))
        # The launcher runs from the distribution home, which the node may not write to: point the
        # JVM's own files (GC log, heap dumps, crash logs) at this node's directories instead.
        jvm_options = config / "jvm.options"
        logs, data = self.node_dir / "logs", self.node_dir / "data"
        jvm_options.write_text(
            jvm_options_for(java, jvm_options.read_text())
            .replace("file=logs/gc.log", f"file={logs}/gc.log")
            .replace("-XX:HeapDumpPath=data", f"-XX:HeapDumpPath={data}")
            .replace("-XX:ErrorFile=logs/", f"-XX:ErrorFile={logs}/")
        )
        heap = self._settings.heap
        (config / "jvm.options.d").mkdir(exist_ok=True)
        (config / "jvm.options.d" / "aisle-heap.options").write_text(f"-Xms{heap}\n-Xmx{heap}\n")
        (self.node_dir / "last-port").write_text(str(http_port))

    def _prepare_run_user(self) -> pwd.struct_passwd | None:
        if os.geteuid() != 0:
            return None
        name = self._settings.run_as_user
        try:
            user = pwd.getpwnam(name)
        except KeyError:
            subprocess.run(
                ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name],
                check=False,
                capture_output=True,
            )
            try:
                user = pwd.getpwnam(name)
            except KeyError as exc:
                raise NodeError(
                    f"OpenSearch cannot run as root and the user '{name}' could not be created. Create it "
                    "(useradd --system NAME) or set AISLE_OPENSEARCH_RUN_AS_USER to an existing user."
                ) from exc
        for path in [self.node_dir, *self.node_dir.rglob("*")]:
            os.chown(path, user.pw_uid, user.pw_gid, follow_symlinks=False)
        return user

    def _launch(
        self, distribution: Distribution, java: JavaRuntime, run_as: pwd.struct_passwd | None
    ) -> subprocess.Popen[bytes]:
        env = java.environment()
        env.update(
            OPENSEARCH_PATH_CONF=str(self.node_dir / "config"),
            OPENSEARCH_TMPDIR=str(self.node_dir / "tmp"),
            HOME=str(self.node_dir),
        )
        with self.log_path.open("ab") as log:
            if run_as is not None:
                os.chown(self.log_path, run_as.pw_uid, run_as.pw_gid)
            return subprocess.Popen(
                [str(distribution.home / "bin" / "opensearch")],
                cwd=self.node_dir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, so stop() reaches every child
                user=run_as.pw_uid if run_as else None,
                group=run_as.pw_gid if run_as else None,
                extra_groups=[] if run_as else None,
            )

    @staticmethod
    def _terminate(pid: int) -> None:
        try:
            os.killpg(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + _STOP_GRACE_S
        while time.monotonic() < deadline:
            if not _process_alive(pid):
                return
            time.sleep(0.2)
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            return


def _process_alive(pid: int) -> bool:
    try:
        # Reap it if it is our own child, so that a zombie does not count as alive.
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def port_is_free(port: int) -> bool:
    """Whether a listener could bind `port` on 127.0.0.1 now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As OpenSearch binds: connections of a stopped node lingering in TIME_WAIT do not block
        # the port, a live listener does.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
