"""Purchase events (and shopper profiles) → the `users` index: recent history, demographics, user vector.

Product vectors come from the live product index (nothing is re-encoded), so a user vector lives
in the same space as the products it was built from. Events naming unknown products are reported
and skipped; they never fail the run. Profiles (user_id plus demographic columns, e.g. a CRM export)
add shoppers who have bought nothing yet: their demographics alone can personalize a search.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from encoders.user_tower import RecencyPoolingTower
from indexer.bluegreen import index_layout, new_index_name
from indexer.errors import AliasError, RejectRateError
from indexer.lease import AliasLease
from indexer.lifecycle import IndexState, prune, publish, set_state
from indexer.settings import IndexerSettings
from indexer.store import IndexStore
from kernel.catalog.reader import RawRow
from kernel.data.events import read_events, read_profiles
from kernel.documents.mappings import load_mapping
from kernel.documents.users import USERS_MAPPING, user_document
from kernel.errors import EngineError
from kernel.rejects import Rejection, RejectLog

__all__ = ["UsersReport", "build_users_index"]

_FETCH_BATCH = 1000


@dataclass
class UsersReport:
    """What a users build did."""

    index: str
    users: int = 0
    events: int = 0
    unknown_products: Counter[str] = field(default_factory=Counter)


def build_users_index(
    store: IndexStore,
    product_alias: str,
    rows: Iterable[RawRow],
    rejects: RejectLog,
    settings: IndexerSettings,
    *,
    profiles: Iterable[RawRow] = (),
    tower: RecencyPoolingTower | None = None,
    now: dt.datetime | None = None,
    inputs: dict[str, Any] | None = None,
) -> UsersReport:
    """Build a new users index from purchase events and point `settings.users_index` (an alias) at it.

    `profiles` rows (user_id plus demographic columns) override the demographic columns of events and
    add shoppers without purchases. `inputs` (what the rows came from) is recorded in the index's `_meta`.

    Raises:
        AliasError: the product alias does not exist (product vectors are needed).
        AliasBusyError: another process is changing the users alias.
        RejectRateError: more events were malformed than `max_reject_rate` allows.
    """
    with AliasLease(store, settings.users_index, settings.lease_ttl_s) as lease:
        return _build_users(store, product_alias, rows, rejects, settings, profiles, tower, now, inputs, lease)


def _build_users(
    store: IndexStore,
    product_alias: str,
    rows: Iterable[RawRow],
    rejects: RejectLog,
    settings: IndexerSettings,
    profiles: Iterable[RawRow],
    tower: RecencyPoolingTower | None,
    now: dt.datetime | None,
    inputs: dict[str, Any] | None,
    lease: AliasLease,
) -> UsersReport:
    products = store.alias_targets(product_alias)
    if not products:
        raise AliasError(f"Alias {product_alias!r} does not exist; index the catalog before the users.")
    rejects.check_writable()
    tower = tower or RecencyPoolingTower(settings.history_half_life_days)
    now = now or dt.datetime.now(dt.UTC)
    log = read_events(rows, rejects)
    histories, demographics = log.histories, log.demographics
    profiled, profile_rows = read_profiles(profiles, rejects)
    read = log.rows + profile_rows
    if read and rejects.total / read > settings.max_reject_rate:
        raise RejectRateError(
            f"{rejects.total} of {read} events and profiles were malformed, more than "
            f"{settings.max_reject_rate:.1%}; see {rejects.path}. The users index was not changed.",
            rejects.path,
        )
    for user_id, fields in profiled.items():
        demographics[user_id].update(fields)
        histories.setdefault(user_id, [])
    index = new_index_name(settings.users_index)
    report = UsersReport(index, events=sum(len(events) for events in histories.values()))
    wanted = sorted({e.product_id for events in histories.values() for e in events})
    vectors = _product_vectors(store, product_alias, wanted)
    dimension = len(next(iter(vectors.values()))) if vectors else 0
    store.create_index(
        index,
        load_mapping(
            USERS_MAPPING,
            meta={
                "aisle": {
                    "products": products[0],
                    "inputs": inputs,
                    "state": IndexState.BUILDING.value,
                    "builder": lease.owner,
                }
            },
            dimension=dimension or 1,
            # Profiles must survive a lost node as the products do: the same replicas.
            replicas=index_layout(settings, store.data_nodes()).replicas,
        ),
    )
    try:
        docs = []
        for user_id, events in histories.items():
            events.sort(key=lambda e: e.timestamp, reverse=True)
            recent = events[: settings.history_size]
            known = [e for e in recent if e.product_id in vectors]
            report.unknown_products.update(e.product_id for e in recent if e.product_id not in vectors)
            vector = tower.user_vector(
                np.array([vectors[e.product_id] for e in known], dtype=np.float32).reshape(len(known), dimension),
                np.array([(now - e.timestamp).total_seconds() / 86400 for e in known]),
                np.array([e.quantity for e in known], dtype=np.float64),
            )
            source = user_document(user_id, events, recent, demographics[user_id], vector, now)
            docs.append({"_index": index, "_id": user_id, "_source": source})
        for ok, item in store.bulk(docs):
            if not ok:
                result = next(iter(item.values()))
                rejects.add(Rejection(0, str(result.get("_id")), "bulk_failed", str(result.get("error"))))
        store.refresh(index)
        report.users = store.count(index)
        set_state(store, index, IndexState.GATED)
        publish(store, settings.users_index, index, lease)
    except BaseException:
        with contextlib.suppress(EngineError):
            store.delete_index(index)
        raise
    prune(store, settings.users_index, settings.keep_indices)
    return report


def _product_vectors(store: IndexStore, alias: str, ids: list[str]) -> dict[str, list[float]]:
    found: dict[str, list[float]] = {}
    for start in range(0, len(ids), _FETCH_BATCH):
        docs = store.get_many(alias, ids[start : start + _FETCH_BATCH], ["vector"])
        found.update({i: d["vector"] for i, d in docs.items() if d.get("vector")})
    return found
