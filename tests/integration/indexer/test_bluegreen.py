"""Full builds, alias swaps, gates, pruning and rollback against a real node and the real model."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from encoders import Encoder
from indexer import IndexerSettings, IndexStore, build_index, check_encoder, rollback
from indexer.errors import AliasError, FingerprintMismatchError, GateError, RejectRateError
from tests.support.catalogs import PRODUCTS, write_jsonl
from tests.support.faults import ClientWrapper

QUIET = Console(quiet=True)


def _build(store: IndexStore, encoder: Encoder, catalog: Path, settings: IndexerSettings):  # type: ignore[no-untyped-def]
    return build_index(store, encoder, catalog, settings, console=QUIET)


def test_a_full_build_indexes_every_product_and_switches_the_alias(
    store: IndexStore, encoder: Encoder, settings: IndexerSettings, tmp_path: Path
) -> None:
    report = _build(store, encoder, write_jsonl(tmp_path / "c.jsonl", PRODUCTS), settings)
    assert store.alias_targets(settings.alias) == [report.index]
    assert store.count(settings.alias) == len(PRODUCTS) == report.load.indexed
    meta = store.meta(report.index)["aisle"]
    assert meta["encoder"]["value"] == encoder.fingerprint.value
    assert meta["catalog"]["source"].endswith("c.jsonl")
    hit = store.search(settings.alias, {"query": {"match": {"title": "hammer drill"}}})["hits"]["hits"][0]
    assert hit["_id"] == "p02"
    # Category filters work at any depth through the path_hierarchy field.
    under_tools = store.search(settings.alias, {"size": 50, "query": {"term": {"category_tree": "Tools>Power Tools"}}})
    assert {h["_id"] for h in under_tools["hits"]["hits"]} == {"p01", "p02", "p03", "p04", "p05"}
    assert check_encoder(store, settings.alias, encoder.fingerprint) == report.index


def test_a_second_build_swaps_again_and_old_versions_are_pruned(
    store: IndexStore, encoder: Encoder, settings: IndexerSettings, tmp_path: Path
) -> None:
    settings = settings.model_copy(update={"keep_indices": 2})
    catalog = write_jsonl(tmp_path / "c.jsonl", PRODUCTS[:10])
    first, second, third = (_build(store, encoder, catalog, settings) for _ in range(3))
    assert store.alias_targets(settings.alias) == [third.index]
    assert third.previous == [second.index] and third.pruned == [first.index]
    assert store.indices(f"{settings.alias}-*") == [second.index, third.index]

    assert rollback(store, settings.alias) == (third.index, second.index)
    assert store.alias_targets(settings.alias) == [second.index]
    with pytest.raises(AliasError, match="no older version that passed its gates is kept"):
        rollback(store, settings.alias)


def test_too_many_rejects_leave_the_alias_where_it_was(
    store: IndexStore, encoder: Encoder, settings: IndexerSettings, tmp_path: Path
) -> None:
    live = _build(store, encoder, write_jsonl(tmp_path / "good.jsonl", PRODUCTS[:5]), settings).index
    bad = write_jsonl(tmp_path / "bad.jsonl", [*PRODUCTS[:5], {"title": "no id"}, "{broken", PRODUCTS[0]])
    with pytest.raises(RejectRateError, match=r"3 of 8 rows \(37.5%\) were rejected") as error:
        _build(store, encoder, bad, settings)
    assert store.alias_targets(settings.alias) == [live]
    assert store.indices(f"{settings.alias}-*") == [live], "the failed build's index is removed"
    assert error.value.rejects_path is not None and str(error.value.rejects_path) in str(error.value)
    reasons = [json.loads(line) for line in error.value.rejects_path.read_text().splitlines()]
    assert [(r["line"], r["code"]) for r in reasons] == [(6, "missing_id"), (7, "malformed_json"), (8, "duplicate_id")]


class CorruptingClient(ClientWrapper):
    """The real client, except that one document's vector is replaced by a string on its way out,
    so the real node refuses that document (a mapper_parsing_exception) and accepts the rest."""

    def __init__(self, client: Any, bad_id: str) -> None:
        super().__init__(client)
        self._bad = f'"_id":"{bad_id}"'

    def bulk(self, *args: Any, body: str, **kwargs: Any) -> Any:
        lines = body.split("\n")
        for i, line in enumerate(lines[:-1]):
            if self._bad in line.replace(" ", ""):
                source = json.loads(lines[i + 1])
                lines[i + 1] = json.dumps({**source, "vector": "not a vector"})
        return self._client.bulk(*args, body="\n".join(lines), **kwargs)


def test_a_document_refused_by_opensearch_fails_the_gate(
    store: IndexStore, encoder: Encoder, settings: IndexerSettings, tmp_path: Path
) -> None:
    live = _build(store, encoder, write_jsonl(tmp_path / "good.jsonl", PRODUCTS[:5]), settings).index
    # Even with a reject rate that tolerates it, a refused document stops the swap.
    lenient = settings.model_copy(update={"max_reject_rate": 0.5})
    corrupting = IndexStore(CorruptingClient(store.client, "p07"), lenient)
    with pytest.raises(GateError, match="1 documents failed to index"):
        _build(corrupting, encoder, write_jsonl(tmp_path / "c.jsonl", PRODUCTS), lenient)
    assert store.alias_targets(settings.alias) == [live]
    assert store.indices(f"{settings.alias}-*") == [live]
    rejects = sorted((tmp_path / "rejects").glob("*.rejects.jsonl"))[-1]
    (rejected,) = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert (rejected["product_id"], rejected["code"], rejected["line"]) == ("p07", "bulk_failed", 7)
    assert "mapper_parsing_exception" in rejected["reason"]


def test_the_guard_refuses_an_index_built_with_another_encoder(
    store: IndexStore, encoder: Encoder, settings: IndexerSettings, tmp_path: Path
) -> None:
    _build(store, encoder, write_jsonl(tmp_path / "c.jsonl", PRODUCTS[:5]), settings)
    other = type(encoder.fingerprint)("other-model", "f" * 64, encoder.fingerprint.template, encoder.dimension)
    with pytest.raises(FingerprintMismatchError, match="was built with encoder all-MiniLM-L6-v2@"):
        check_encoder(store, settings.alias, other)
    with pytest.raises(AliasError, match="does not exist"):
        check_encoder(store, settings.alias + "-none", encoder.fingerprint)


class _RefreshingStore(IndexStore):
    """Refreshes after every bulk chunk, so a small load leaves one segment per chunk."""

    def bulk(self, actions):  # type: ignore[no-untyped-def]
        for result in super().bulk(actions):
            self.refresh("_all")
            yield result


def test_a_build_merges_the_segments_the_load_left_before_the_swap(
    store: IndexStore, encoder: Encoder, settings: IndexerSettings, tmp_path: Path
) -> None:
    settings = settings.model_copy(update={"bulk_chunk_size": 4, "encode_batch_size": 4})
    refreshing = _RefreshingStore(store.client, settings)
    report = _build(refreshing, encoder, write_jsonl(tmp_path / "c.jsonl", PRODUCTS), settings)
    assert store.segments(report.index) == 1
    # The same load without the merge keeps its segments: the merge is what made them one.
    unmerged = _build(
        refreshing,
        encoder,
        write_jsonl(tmp_path / "c.jsonl", PRODUCTS),
        settings.model_copy(update={"max_segments": 0}),
    )
    assert store.segments(unmerged.index) > 1
