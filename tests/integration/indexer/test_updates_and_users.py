"""Incremental updates, the users index and 429 retries against a real node."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
from opensearchpy.exceptions import TransportError
from rich.console import Console

from encoders import Encoder
from indexer import IndexerSettings, IndexStore, apply_updates, build_index, build_users_index
from kernel.catalog.reader import RawRow
from kernel.rejects import RejectLog
from tests.support.catalogs import PRODUCTS, write_jsonl
from tests.support.faults import ClientWrapper


def _live(store: IndexStore, encoder: Encoder, settings: IndexerSettings, tmp_path: Path) -> str:
    return build_index(
        store, encoder, write_jsonl(tmp_path / "c.jsonl", PRODUCTS), settings, console=Console(quiet=True)
    ).index


def test_updates_reencode_only_changed_content_and_patch_prices(
    store: IndexStore, encoder: Encoder, settings: IndexerSettings, tmp_path: Path
) -> None:
    index = _live(store, encoder, settings, tmp_path)
    before = store.get_many(index, ["p01", "p02"], ["vector", "price"])
    changes = [
        {**PRODUCTS[0], "price": 99.0},  # price only
        {**PRODUCTS[1], "title": "18V Brushless Cordless Hammer Drill with Side Handle"},  # content
        PRODUCTS[2],  # unchanged
        {"id": "new1", "title": "Cordless Brad Nailer", "category": "Tools > Power Tools > Nailers"},
    ]
    report = apply_updates(store, encoder, write_jsonl(tmp_path / "u.jsonl", changes), ["p30", "nope"], settings)
    assert (report.partial, report.reencoded, report.unchanged, report.created) == (1, 1, 1, 1)
    assert (report.deleted, report.not_found, report.failed) == (1, 1, 0)
    after = store.get_many(index, ["p01", "p02", "new1", "p30"], ["vector", "price", "title"])
    assert after["p01"]["price"] == 99.0 and after["p01"]["vector"] == before["p01"]["vector"]
    assert after["p02"]["vector"] != before["p02"]["vector"]
    assert "new1" in after and "p30" not in after
    assert store.count(index) == len(PRODUCTS)  # one added, one deleted
    assert report.rejects_path is not None and '"code": "delete_not_found"' in report.rejects_path.read_text()


def test_users_index_holds_bounded_recent_history_and_a_vector_near_what_they_bought(
    store: IndexStore, encoder: Encoder, settings: IndexerSettings, tmp_path: Path
) -> None:
    _live(store, encoder, settings, tmp_path)
    now = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    gardener = [("g", pid, now - dt.timedelta(days=d)) for d, pid in enumerate(["p08", "p11", "p12", "p13", "p14"])]
    events = [
        *({"user_id": u, "product_id": p, "timestamp": t.isoformat(), "region": "south"} for u, p, t in gardener),
        {"user_id": "t", "product_id": "p01", "timestamp": "2026-10-30T10:00:00Z", "quantity": 2},
        {"user_id": "t", "product_id": "ghost", "timestamp": "2026-10-29T10:00:00Z"},
    ]
    settings = settings.model_copy(update={"history_size": 3})
    rows = [RawRow(i + 1, e) for i, e in enumerate(events)]
    rejects = RejectLog(tmp_path / "users.rejects.jsonl")
    report = build_users_index(store, settings.alias, rows, rejects, settings, now=now)
    assert report.users == 2 and report.unknown_products == {"ghost": 1}
    users = store.get_many(settings.users_index, ["g", "t"], ["history", "vector", "purchases", "demographics"])
    assert [h["product_id"] for h in users["g"]["history"]] == ["p08", "p11", "p12"]  # newest first, bounded
    assert users["g"]["purchases"] == 5 and users["g"]["demographics"] == {"region": "south"}
    vectors = store.get_many(settings.alias, ["p08", "p01"], ["vector"])
    gardener_vector = np.array(users["g"]["vector"])
    assert gardener_vector @ np.array(vectors["p08"]["vector"]) > gardener_vector @ np.array(vectors["p01"]["vector"])


def test_malformed_events_are_rejected_with_their_line(
    store: IndexStore, encoder: Encoder, settings: IndexerSettings, tmp_path: Path
) -> None:
    _live(store, encoder, settings, tmp_path)
    rows = [RawRow(1, {"user_id": "a", "product_id": "p01", "timestamp": "2026-01-01"}), RawRow(2, {"user_id": "b"})]
    rejects = RejectLog(tmp_path / "users.rejects.jsonl")
    build_users_index(store, settings.alias, rows, rejects, settings.model_copy(update={"max_reject_rate": 0.6}))
    rejects.close()
    assert '"line": 2' in rejects.path.read_text() and '"code": "bad_event"' in rejects.path.read_text()


def test_profiles_add_shoppers_without_purchases_and_override_event_columns(
    store: IndexStore, encoder: Encoder, settings: IndexerSettings, tmp_path: Path
) -> None:
    _live(store, encoder, settings, tmp_path)
    events = [RawRow(1, {"user_id": "g", "product_id": "p08", "timestamp": "2026-10-30T10:00:00Z", "region": "north"})]
    profiles = [
        RawRow(1, {"user_id": "g", "region": "south", "customer_type": "diy"}),
        RawRow(2, {"user_id": "new", "region": "west", "customer_type": "pro"}),
        RawRow(3, {"region": "east"}),
    ]
    rejects = RejectLog(tmp_path / "users.rejects.jsonl")
    lenient = settings.model_copy(update={"max_reject_rate": 0.5})
    report = build_users_index(store, settings.alias, events, rejects, lenient, profiles=profiles)
    rejects.close()
    assert report.users == 2 and report.events == 1
    users = store.get_many(settings.users_index, ["g", "new"], ["demographics", "vector", "purchases", "history"])
    assert users["g"]["demographics"] == {"region": "south", "customer_type": "diy"}  # the profile wins
    assert users["new"]["demographics"] == {"region": "west", "customer_type": "pro"}
    assert users["new"]["purchases"] == 0 and users["new"]["history"] == [] and users["new"].get("vector") is None
    assert '"line": 3' in rejects.path.read_text() and '"code": "bad_profile"' in rejects.path.read_text()


class TooManyRequestsOnce(ClientWrapper):
    """The real client, but the second bulk request is answered 429 as a busy cluster would."""

    def bulk(self, *args: Any, **kwargs: Any) -> Any:
        self.bulk_calls += 1
        if self.bulk_calls == 2:
            raise TransportError(429, "es_rejected_execution_exception", {"error": "too many requests"})
        return self._client.bulk(*args, **kwargs)


def test_a_429_is_retried_and_every_document_arrives(
    store: IndexStore, encoder: Encoder, settings: IndexerSettings, tmp_path: Path
) -> None:
    flaky = TooManyRequestsOnce(store.client)
    report = build_index(
        IndexStore(flaky, settings),
        encoder,
        write_jsonl(tmp_path / "c.jsonl", PRODUCTS),
        settings,
        console=Console(quiet=True),
    )
    chunks = -(-len(PRODUCTS) // settings.bulk_chunk_size)
    assert flaky.bulk_calls == chunks + 1
    assert report.load.indexed == len(PRODUCTS) == store.count(settings.alias)
