"""The alias lease: one writer at a time, a dead or expired holder taken over, a lost lease noticed."""

from __future__ import annotations

import datetime as dt
import socket
import subprocess

import pytest

from indexer import AliasLease, IndexerSettings, IndexStore
from indexer.errors import AliasBusyError, LeaseLostError
from indexer.lease import LEASE_INDEX


def _plant(store: IndexStore, alias: str, host: str, pid: int, expires_in_s: float) -> None:
    """A lease document as another process would have left it."""
    now = dt.datetime.now(dt.UTC)
    owner = {"host": host, "pid": pid, "command": "aisle index build", "token": "someone-else"}
    lease = AliasLease(store, alias)
    lease.acquire()
    lease.release()  # creates the lease index, leaves no lease behind
    store.create_doc(
        LEASE_INDEX,
        alias,
        {
            "alias": alias,
            "owner": owner,
            "acquired_at": now.isoformat(),
            "expires_at": (now + dt.timedelta(seconds=expires_in_s)).isoformat(),
        },
    )


def test_a_held_lease_refuses_a_second_writer_and_names_the_holder(
    store: IndexStore, settings: IndexerSettings
) -> None:
    with AliasLease(store, settings.alias, command="aisle index build") as first:
        with pytest.raises(AliasBusyError, match=rf"{settings.alias}.*`aisle index build` \(pid {first.owner['pid']}"):
            AliasLease(store, settings.alias).acquire()
    with AliasLease(store, settings.alias):
        pass  # released: the next writer gets it


def test_a_lease_left_by_a_dead_process_on_this_host_is_taken_over(
    store: IndexStore, settings: IndexerSettings
) -> None:
    process = subprocess.Popen(["sleep", "0"])
    process.wait()
    _plant(store, settings.alias, socket.gethostname(), process.pid, expires_in_s=3600)
    with AliasLease(store, settings.alias) as lease:
        held = store.get_doc(LEASE_INDEX, settings.alias)
        assert held is not None and held[0]["owner"]["token"] == lease.owner["token"]


def test_another_hosts_lease_holds_until_it_expires(store: IndexStore, settings: IndexerSettings) -> None:
    _plant(store, settings.alias, "another-host", 1, expires_in_s=3600)
    with pytest.raises(AliasBusyError, match="another-host"):
        AliasLease(store, settings.alias).acquire()
    held = store.get_doc(LEASE_INDEX, settings.alias)
    assert held is not None
    store.delete_doc(LEASE_INDEX, settings.alias, *held[1:])
    _plant(store, settings.alias, "another-host", 1, expires_in_s=-1)
    with AliasLease(store, settings.alias):
        pass


def test_a_lease_taken_over_is_lost_and_stops_the_change(store: IndexStore, settings: IndexerSettings) -> None:
    lease = AliasLease(store, settings.alias, ttl_s=3600)
    lease.acquire()
    held = store.get_doc(LEASE_INDEX, settings.alias)
    assert held is not None
    store.replace_doc(LEASE_INDEX, settings.alias, {**held[0], "owner": {**held[0]["owner"], "token": "x"}}, *held[1:])
    lease.renew()
    with pytest.raises(LeaseLostError, match="lost the lease"):
        lease.check()
    lease.release()
    assert store.get_doc(LEASE_INDEX, settings.alias) is not None, "a lost lease is not the loser's to delete"
