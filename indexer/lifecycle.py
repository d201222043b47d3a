"""The versions behind an alias and their states: building → gated → live → retired.

Each versioned index records its state in its `_meta` (`aisle.state`, with the time it entered each
in `aisle.states`). Only an index that passed its gates (gated, live or retired) is ever put behind
the alias, so a build that was killed half-way (still `building`) can never be rolled back to; `gc`
removes such leftovers. The alias itself is the truth about which version is live.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from indexer.errors import AliasError
from indexer.lease import AliasLease
from indexer.store import IndexStore
from kernel.errors import EngineNotFoundError

__all__ = ["IndexState", "Version", "gc", "prune", "publish", "rollback", "set_state", "versions"]

_SWAP_ATTEMPTS = 3


class IndexState(StrEnum):
    """Where a versioned index is in its life."""

    BUILDING = "building"  # created, being loaded; never searched
    GATED = "gated"  # loaded and passed every gate; may go live
    LIVE = "live"  # behind the alias
    RETIRED = "retired"  # was live (or gated) and may be rolled back to


ROLLBACK_TARGETS = {IndexState.GATED, IndexState.RETIRED}


@dataclass(frozen=True)
class Version:
    """One versioned index of an alias, as `aisle index status` shows it."""

    index: str
    state: IndexState
    documents: int
    encoder: str | None
    created_at: str | None
    builder: dict[str, Any] | None


def set_state(store: IndexStore, index: str, state: IndexState, extra: dict[str, Any] | None = None) -> None:
    """Record `state` (and when it began) in the index's `_meta`, with any `extra` aisle fields."""
    meta = store.meta(index)
    aisle = dict(meta.get("aisle", {}))
    aisle |= extra or {}
    aisle["state"] = state.value
    aisle["states"] = {**aisle.get("states", {}), state.value: dt.datetime.now(dt.UTC).isoformat()}
    store.put_meta(index, {**meta, "aisle": aisle})


def _recorded_state(meta: dict[str, Any], settings: dict[str, Any]) -> IndexState:
    recorded = meta.get("aisle", {}).get("state")
    if recorded is not None:
        state = IndexState(recorded)
        # "live" in the record but no longer behind the alias: a swap moved away from it.
        return IndexState.RETIRED if state is IndexState.LIVE else state
    # Built before states were recorded: a build turns refresh back on only after loading.
    return IndexState.BUILDING if settings.get("index.refresh_interval") == "-1" else IndexState.RETIRED


def versions(store: IndexStore, alias: str) -> list[Version]:
    """Every versioned index of `alias` (`<alias>-<timestamp>`), oldest first, with its state."""
    names = store.indices(f"{alias}-*")
    if not names:
        return []
    live = set(store.alias_targets(alias))
    counts = store.document_counts(f"{alias}-*")
    found = []
    for name in names:
        meta = store.meta(name)
        aisle = meta.get("aisle", {})
        state = IndexState.LIVE if name in live else _recorded_state(meta, store.index_settings(name))
        encoder = aisle.get("encoder", {}).get("value") if isinstance(aisle.get("encoder"), dict) else None
        found.append(Version(name, state, counts.get(name, 0), encoder, aisle.get("created_at"), aisle.get("builder")))
    return found


def publish(store: IndexStore, alias: str, index: str, lease: AliasLease) -> list[str]:
    """Move `alias` onto `index` alone, replacing exactly what it pointed at; returns the replaced indices.

    The swap asserts what it replaces: if the alias moved between reading and swapping (a writer that
    holds no lease), it is read again and the swap retried.

    Raises:
        LeaseLostError: this process no longer holds the alias.
        AliasError: the alias kept moving under this process.
    """
    for _ in range(_SWAP_ATTEMPTS):
        previous = store.alias_targets(alias)
        lease.check()
        try:
            store.swap_alias(alias, index, previous)
        except EngineNotFoundError:
            continue
        set_state(store, index, IndexState.LIVE)
        for old in previous:
            if old != index:
                set_state(store, old, IndexState.RETIRED)
        return [old for old in previous if old != index]
    raise AliasError(
        f"Alias {alias!r} changed {_SWAP_ATTEMPTS} times while this process tried to move it to {index}; "
        "something other than aisle is changing it. Nothing was switched by this process."
    )


def prune(store: IndexStore, alias: str, keep: int) -> list[str]:
    """Delete gated and retired versions beyond the newest `keep` (the live one counts and stays); returns them.

    Versions still `building` are left alone: a running build owns its own, and `gc` removes abandoned ones.
    """
    kept = [v for v in versions(store, alias) if v.state is not IndexState.BUILDING]
    doomed = [v.index for v in kept[: max(len(kept) - keep, 0)] if v.state is not IndexState.LIVE]
    for name in doomed:
        store.delete_index(name)
    return doomed


def gc(store: IndexStore, alias: str, keep: int, *, dry_run: bool = False, lease_ttl_s: float = 60.0) -> list[str]:
    """Delete what no build will come back for: versions left `building` by crashed builds, and old retired ones.

    Runs under the alias's lease, so no build of this alias is running: every `building` version is abandoned.

    Raises:
        AliasBusyError: a build (or other change) of the alias is running.
    """
    with AliasLease(store, alias, lease_ttl_s):
        return _collect(store, alias, keep, dry_run)


def _collect(store: IndexStore, alias: str, keep: int, dry_run: bool) -> list[str]:
    all_versions = versions(store, alias)
    abandoned = [v.index for v in all_versions if v.state is IndexState.BUILDING]
    kept = [v for v in all_versions if v.state is not IndexState.BUILDING]
    old = [v.index for v in kept[: max(len(kept) - keep, 0)] if v.state is not IndexState.LIVE]
    if not dry_run:
        for name in abandoned + old:
            store.delete_index(name)
    return abandoned + old


def rollback(store: IndexStore, alias: str, *, lease_ttl_s: float = 60.0) -> tuple[str, str]:
    """Point `alias` at the newest version older than the live one that passed its gates; returns (from, to).

    Raises:
        AliasError: the alias does not exist, or no older gated version is kept.
        AliasBusyError: a build (or other change) of the alias is running.
    """
    with AliasLease(store, alias, lease_ttl_s) as lease:
        return _roll_back(store, alias, lease)


def _roll_back(store: IndexStore, alias: str, lease: AliasLease) -> tuple[str, str]:
    live = store.alias_targets(alias)
    if not live:
        raise AliasError(f"Alias {alias!r} does not exist; build an index first with `aisle index build`.")
    older = [v for v in versions(store, alias) if v.index < live[0]]
    usable = [v for v in older if v.state in ROLLBACK_TARGETS]
    if not usable:
        skipped = f" ({len(older)} older ones never passed their gates; `aisle index gc` removes them)" if older else ""
        raise AliasError(
            f"Alias {alias!r} points at {live[0]}, and no older version that passed its gates is kept to roll "
            f"back to{skipped}. AISLE_INDEXER_KEEP_INDICES sets how many are kept."
        )
    target = usable[-1].index
    publish(store, alias, target, lease)
    return live[0], target
