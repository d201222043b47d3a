"""One writer per alias at a time: a lease document in OpenSearch, created with `op_type=create`.

Whoever changes an alias (a build, an update, a rollback, gc) holds its lease for the whole change.
The lease names its owner (host, pid, command) and an expiry a heartbeat keeps pushing forward, so
a crashed holder blocks the alias only until its lease runs out, or not at all when it ran on this
host and its process is gone. Every change of the lease document is conditional on the version read
(`if_seq_no`), so two processes can never both believe they hold it.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import sys
import threading
import uuid
from types import TracebackType
from typing import Any

from indexer.errors import AliasBusyError, LeaseLostError
from indexer.store import IndexStore
from kernel.documents.mappings import load_mapping
from kernel.errors import EngineConflictError, EngineError, EngineNotFoundError

__all__ = ["LEASE_INDEX", "AliasLease"]

LEASE_INDEX = "aisle-leases"
LEASES_MAPPING = "leases.v1"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# Leases this process holds now: one left behind by this very process (a release OpenSearch did not
# answer) is not held by anyone.
_HELD_HERE: set[str] = set()


def _this_command() -> str:
    # `aisle index build` whether it was started as the `aisle` script or as `python -m aisle.cli`.
    name = os.path.basename(sys.argv[0])
    return " ".join(["aisle" if name == "__main__.py" else name, *sys.argv[1:3]])


def _alive_here(owner: dict[str, Any]) -> bool | None:
    """Whether the owner still holds its lease: None when it ran on another host (cannot tell)."""
    if owner.get("host") != socket.gethostname():
        return None
    if owner.get("pid") == os.getpid():
        return owner.get("token") in _HELD_HERE
    try:
        os.kill(int(owner.get("pid", 0)), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, ValueError):
        return True
    return True


class AliasLease:
    """The exclusive right to change `alias`, held from `acquire` (or `with`) to `release`.

    Args:
        store: Where the lease document lives.
        alias: The alias to hold.
        ttl_s: How long the lease outlives its last heartbeat (a heartbeat runs every third of it).
        command: What holds it, for the message another writer sees.

    Raises:
        AliasBusyError: from `acquire`, when a live owner holds the alias.
    """

    def __init__(self, store: IndexStore, alias: str, ttl_s: float = 60.0, command: str | None = None) -> None:
        self._store = store
        self.alias = alias
        self._ttl = dt.timedelta(seconds=ttl_s)
        self.owner = {
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "command": command or _this_command(),
            "token": uuid.uuid4().hex,
        }
        self._version: tuple[int, int] | None = None
        self._acquired = _now()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._heartbeat: threading.Thread | None = None
        self.lost: str | None = None

    def _document(self, acquired_at: dt.datetime) -> dict[str, Any]:
        return {
            "alias": self.alias,
            "owner": self.owner,
            "acquired_at": acquired_at.isoformat(),
            "expires_at": (_now() + self._ttl).isoformat(),
        }

    def acquire(self) -> None:
        """Take the lease, or take over one whose holder is gone; start the heartbeat."""
        self._acquired = _now()
        self._store.ensure_index(LEASE_INDEX, load_mapping(LEASES_MAPPING))
        # Registered before the lease exists, so a thread of this process never takes it for a leftover.
        _HELD_HERE.add(str(self.owner["token"]))
        try:
            self._version = self._store.create_doc(LEASE_INDEX, self.alias, self._document(self._acquired))
        except EngineConflictError:
            try:
                self._take_over()
            except BaseException:
                _HELD_HERE.discard(str(self.owner["token"]))
                raise
        self._heartbeat = threading.Thread(target=self._beat, name=f"aisle-lease-{self.alias}", daemon=True)
        self._heartbeat.start()

    def _take_over(self) -> None:
        found = self._store.get_doc(LEASE_INDEX, self.alias)
        if found is None:  # released in between: one more try (a conflict now means a live holder)
            try:
                self._version = self._store.create_doc(LEASE_INDEX, self.alias, self._document(self._acquired))
            except EngineConflictError as exc:
                raise AliasBusyError(f"Alias {self.alias!r} was taken by another process at once; retry.") from exc
            return
        held, seq_no, term = found
        owner = held.get("owner", {})
        expired = dt.datetime.fromisoformat(held["expires_at"]) <= _now()
        if not expired and _alive_here(owner) is not False:
            raise AliasBusyError(
                f"Alias {self.alias!r} is being changed by `{owner.get('command')}` (pid {owner.get('pid')} on "
                f"{owner.get('host')}) since {held.get('acquired_at')}; nothing was changed here. Wait for it to "
                f"finish; if that process is gone, its lease runs out at {held['expires_at']}."
            )
        try:
            self._version = self._store.replace_doc(
                LEASE_INDEX, self.alias, self._document(self._acquired), seq_no, term
            )
        except EngineConflictError as exc:
            raise AliasBusyError(
                f"Another process took over the stale lease on alias {self.alias!r} first; nothing was changed here."
            ) from exc

    def _beat(self) -> None:
        while not self._stop.wait(self._ttl.total_seconds() / 3):
            try:
                self.renew()
            except EngineError:
                continue  # OpenSearch away for a moment: the next beat tries again, before the lease runs out

    def renew(self) -> None:
        """Push the expiry forward; a lease taken over meanwhile is recorded as lost."""
        with self._lock:
            if self._version is None or self.lost:
                return
            try:
                self._version = self._store.replace_doc(
                    LEASE_INDEX, self.alias, self._document(self._acquired), *self._version
                )
            except (EngineConflictError, EngineNotFoundError):
                self.lost = "its lease ran out and another process took it over"

    def check(self) -> None:
        """Confirm, from OpenSearch itself, that this process still holds the lease: call it right before a change.

        Raises:
            LeaseLostError: the lease ran out and another process took it over.
        """
        with self._lock:
            found = self._store.get_doc(LEASE_INDEX, self.alias)
            if not self.lost and (found is None or found[0].get("owner", {}).get("token") != self.owner["token"]):
                self.lost = "another process holds it now"
        if self.lost:
            raise LeaseLostError(
                f"This process lost the lease on alias {self.alias!r} ({self.lost}), so it does not change "
                "the alias; the other process's change stands."
            )

    def release(self) -> None:
        """Stop the heartbeat and delete the lease (if it is still this process's)."""
        self._stop.set()
        if self._heartbeat is not None:
            self._heartbeat.join()
        with self._lock:
            if self._version is None or self.lost:
                return
            try:
                self._store.delete_doc(LEASE_INDEX, self.alias, *self._version)
            except EngineError:
                # Taken over, gone, or OpenSearch away: the lease runs out by itself, and whatever stopped
                # this process is the error worth reporting.
                pass
            self._version = None
            _HELD_HERE.discard(self.owner["token"])

    def __enter__(self) -> AliasLease:
        self.acquire()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.release()
