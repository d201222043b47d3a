"""Every OpenSearch call the indexer makes (each through the kernel's one translation of its errors)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from typing import Any

from opensearchpy import OpenSearch, helpers

from indexer.settings import IndexerSettings
from kernel.errors import EngineNotFoundError
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
        """Live segments across the shards of `name`."""
        with self._call(f"listing the segments of {name}"):
            return len(self.client.cat.segments(index=name, format="json"))

    def count(self, name: str) -> int:
        """Documents in an index."""
        with self._call(f"counting {name}"):
            return int(self.client.count(index=name)["count"])

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

    def point_alias(self, alias: str, index: str) -> None:
        """Point the alias at `index` alone, in one atomic `_aliases` request."""
        actions: list[dict[str, Any]] = [
            {"remove": {"index": old, "alias": alias}} for old in self.alias_targets(alias)
        ]
        actions.append({"add": {"index": index, "alias": alias}})
        with self._call(f"moving alias {alias} to {index}"):
            self.client.indices.update_aliases(body={"actions": actions})

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
