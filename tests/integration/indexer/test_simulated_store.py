"""The simulated store's files go through the indexer as any catalog and event log would."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from rich.console import Console

from aisle.simulate import StoreConfig, simulate, write_store
from encoders import Encoder
from indexer import IndexerSettings, IndexStore, build_index, build_users_index
from kernel.data import read_event_file
from kernel.rejects import RejectLog


def test_a_simulated_store_indexes_with_its_shoppers(
    store: IndexStore, encoder: Encoder, settings: IndexerSettings, tmp_path: Path
) -> None:
    files = write_store(simulate(StoreConfig(products=400, shoppers=40, seed=3)), tmp_path / "store")
    report = build_index(
        store,
        encoder,
        files["catalog.jsonl"],
        settings.model_copy(update={"encode_batch_size": 64, "bulk_chunk_size": 200}),
        console=Console(quiet=True),
    )
    assert report.load.indexed == 400 and not report.reject_counts
    rejects = RejectLog(tmp_path / "users.rejects.jsonl")
    users = build_users_index(store, settings.alias, read_event_file(files["events.jsonl"]), rejects, settings)
    shoppers = [json.loads(line) for line in files["shoppers.jsonl"].read_text().splitlines()]
    assert users.users == sum(1 for s in shoppers if s["purchases"]) and not users.unknown_products
    segments = Counter(s["segment"] for s in shoppers if s["purchases"])
    assert set(segments) == {"infrequent", "frequent"}, "cold shoppers have no profile to index"
