"""Every OpenSearch call the indexer makes (each through the kernel's one translation of its errors)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from typing import Any

from opensearchpy import OpenSearch, helpers

from indexer.settings import IndexerSettings
from kernel.errors import EngineNotFoundError, EngineRequestError
from kernel.opensearch import engine_call

__all__ = ["BulkResult", "IndexStore"]

BulkResult = tuple[bool, dict[str, Any]]


class IndexStore:
    """The indexer's view of OpenSearch.

    Args:
        client: An opensearch-py client (built once, with transport retries).
        settings: Bulk request sizes and 429 retry policy.
    """

    def __init__(self, client: OpenSearch, settings: IndexerSettings) -> None:
        self.client = client
        self._settings = settings

    def _call(self, action: str) -> contextlib.AbstractContextManager[None]:
        return engine_call(self.client, action)

    def create_index(self, name: str, body: dict[str, Any]) -> None:
        """Create an index."""
        with self._call(f"creating index {name}"):
            self.client.indices.create(index=name, body=body)

    def delete_index(self, name: str) -> None:
        """Delete an index if it exists."""
        with self._call(f"deleting index {name}"):
            self.client.indices.delete(index=name, ignore_unavailable=True)

    def put_settings(self, name: str, settings: dict[str, Any]) -> None:
        """Change dynamic index settings."""
        with self._call(f"updating the settings of {name}"):
            self.client.indices.put_settings(index=name, body={"index": settings})

    def refresh(self, name: str) -> None:
        """Make everything indexed so far searchable."""
        with self._call(f"refreshing {name}"):
            self.client.indices.refresh(index=name)

    def force_merge(self, name: str, max_segments: int, timeout_s: float) -> None:
        """Merge each shard of `name` down to at most `max_segments` segments (0: leave them as flushed)."""
        if not max_segments:
            return
        with self._call(f"force-merging {name}"):
            self.client.indices.forcemerge(
                index=name, params={"max_num_segments": max_segments, "request_timeout": timeout_s}
            )

    def segments(self, name: str) -> int:
        """Live segments across the primary shards of `name` (replicas hold copies of the same)."""
        with self._call(f"listing the segments of {name}"):
            return sum(row["prirep"] == "p" for row in self.client.cat.segments(index=name, format="json"))

    def data_nodes(self) -> int:
        """How many data nodes the cluster has now."""
        with self._call("reading the cluster's health"):
            return int(self.client.cluster.health()["number_of_data_nodes"])

    def count(self, name: str) -> int:
        """Documents in an index."""
        with self._call(f"counting {name}"):
            return int(self.client.count(index=name)["count"])

    def document_counts(self, pattern: str) -> dict[str, int]:
        """Documents per index matching a wildcard pattern (as `_cat/indices` reports them)."""
        with self._call(f"counting the documents of {pattern}"):
            rows = self.client.cat.indices(index=pattern, format="json", h="index,docs.count")
        return {row["index"]: int(row.get("docs.count") or 0) for row in rows}

    def indices(self, pattern: str) -> list[str]:
        """Index names matching a wildcard pattern, sorted."""
        with self._call(f"listing indices {pattern}"):
            return sorted(self.client.indices.get(index=pattern, expand_wildcards="open,closed").keys())

    def alias_targets(self, alias: str) -> list[str]:
        """Indices the alias points to ([] when it does not exist)."""
        try:
            with self._call(f"reading alias {alias}"):
                return sorted(self.client.indices.get_alias(name=alias).keys())
        except EngineNotFoundError:
            return []

    def swap_alias(self, alias: str, index: str, replaces: list[str]) -> None:
        """Point the alias at `index` alone, in one atomic `_aliases` request that removes exactly `replaces`.

        Each removal must find the alias where it was read (`must_exist`), so a swap made on stale
        knowledge fails as a whole instead of leaving the alias on two indices.

        Raises:
            EngineNotFoundError: the alias is no longer on one of `replaces`.
        """
        actions: list[dict[str, Any]] = [
            {"remove": {"index": old, "alias": alias, "must_exist": True}} for old in replaces
        ]
        actions.append({"add": {"index": index, "alias": alias}})
        with self._call(f"moving alias {alias} from {', '.join(replaces) or 'nothing'} to {index}"):
            self.client.indices.update_aliases(body={"actions": actions})

    def put_meta(self, index: str, meta: dict[str, Any]) -> None:
        """Replace the `_meta` of an index's mapping."""
        with self._call(f"updating the _meta of {index}"):
            self.client.indices.put_mapping(index=index, body={"_meta": meta})

    def index_settings(self, index: str) -> dict[str, Any]:
        """The index's settings (`index.*`, flat)."""
        with self._call(f"reading the settings of {index}"):
            found = self.client.indices.get_settings(index=index, flat_settings=True)
        settings: dict[str, Any] = next(iter(found.values()))["settings"]
        return settings

    def ensure_index(self, name: str, body: dict[str, Any]) -> None:
        """Create an index unless it exists (another process may create it at the same moment)."""
        with self._call(f"checking index {name}"):
            if self.client.indices.exists(index=name):
                return
        try:
            self.create_index(name, body)
        except EngineRequestError:
            with self._call(f"checking index {name}"):
                if not self.client.indices.exists(index=name):
                    raise

    def create_doc(self, index: str, doc_id: str, doc: dict[str, Any]) -> tuple[int, int]:
        """Create a document that must not exist yet; returns its `_seq_no` and `_primary_term`.

        Raises:
            EngineConflictError: it exists.
        """
        with self._call(f"creating {doc_id} in {index}"):
            done = self.client.index(index=index, id=doc_id, body=doc, op_type="create", refresh="true")
        return int(done["_seq_no"]), int(done["_primary_term"])

    def get_doc(self, index: str, doc_id: str) -> tuple[dict[str, Any], int, int] | None:
        """A document's `_source`, `_seq_no` and `_primary_term` (None when it does not exist)."""
        try:
            with self._call(f"reading {doc_id} from {index}"):
                found = self.client.get(index=index, id=doc_id)
        except EngineNotFoundError:
            return None
        return found["_source"], int(found["_seq_no"]), int(found["_primary_term"])

    def replace_doc(
        self, index: str, doc_id: str, doc: dict[str, Any], seq_no: int, primary_term: int
    ) -> tuple[int, int]:
        """Replace a document if it is still at `seq_no` / `primary_term`; returns the new ones.

        Raises:
            EngineConflictError: it changed since it was read.
        """
        with self._call(f"replacing {doc_id} in {index}"):
            done = self.client.index(
                index=index, id=doc_id, body=doc, if_seq_no=seq_no, if_primary_term=primary_term, refresh="true"
            )
        return int(done["_seq_no"]), int(done["_primary_term"])

    def delete_doc(self, index: str, doc_id: str, seq_no: int, primary_term: int) -> None:
        """Delete a document if it is still at `seq_no` / `primary_term`.

        Raises:
            EngineConflictError: it changed since it was read.
            EngineNotFoundError: it is gone.
        """
        with self._call(f"deleting {doc_id} from {index}"):
            self.client.delete(index=index, id=doc_id, if_seq_no=seq_no, if_primary_term=primary_term, refresh="true")

    def meta(self, index: str) -> dict[str, Any]:
        """The `_meta` of an index's mapping ({} when it has none)."""
        with self._call(f"reading the mapping of {index}"):
            mapping = self.client.indices.get_mapping(index=index)
        meta: dict[str, Any] = next(iter(mapping.values()))["mappings"].get("_meta", {})
        return meta

    def search(self, index: str, body: dict[str, Any]) -> dict[str, Any]:
        """Run a search."""
        with self._call(f"searching {index}"):
            result: dict[str, Any] = self.client.search(index=index, body=body)
            return result

    def get_many(self, index: str, ids: list[str], fields: list[str]) -> dict[str, dict[str, Any]]:
        """`_source` (only `fields`) of the documents that exist among `ids`, by id."""
        if not ids:
            return {}
        with self._call(f"fetching {len(ids)} documents from {index}"):
            found = self.client.mget(index=index, body={"ids": ids}, params={"_source_includes": ",".join(fields)})
        return {d["_id"]: d["_source"] for d in found["docs"] if d.get("found")}

    def bulk(self, actions: Iterable[dict[str, Any]]) -> Iterator[BulkResult]:
        """Send actions with opensearch-py's streaming bulk: 429s retried with backoff, every item reported."""
        settings = self._settings
        results = helpers.streaming_bulk(
            self.client,
            actions,
            chunk_size=settings.bulk_chunk_size,
            max_chunk_bytes=settings.bulk_max_chunk_bytes,
            raise_on_error=False,
            raise_on_exception=False,
            max_retries=settings.bulk_max_retries,
            initial_backoff=settings.bulk_initial_backoff_s,
            max_backoff=settings.bulk_max_backoff_s,
        )
        with self._call("bulk indexing"):
            yield from results
