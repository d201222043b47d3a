"""Every OpenSearch call the API makes (each through the kernel's one translation of its errors)."""

from __future__ import annotations

import contextlib
from typing import Any

from opensearchpy import OpenSearch

from kernel.errors import EngineError, EngineNotFoundError
from kernel.opensearch import engine_call
from query_api.search.results import EngineResult

__all__ = ["NEURAL_SEARCH_PLUGIN", "SearchBackend"]

NEURAL_SEARCH_PLUGIN = "opensearch-neural-search"


class SearchBackend:
    """The API's view of OpenSearch.

    Args:
        client: An opensearch-py client (built once, with the API's timeout).
    """

    def __init__(self, client: OpenSearch) -> None:
        self.client = client

    def _call(self, action: str) -> contextlib.AbstractContextManager[None]:
        return engine_call(self.client, action)

    def plugins(self) -> set[str]:
        """Names of the plugins installed on the cluster (`_cat/plugins`)."""
        with self._call("listing plugins"):
            return {row["component"] for row in self.client.cat.plugins(format="json")}

    def major_version(self) -> int:
        """The cluster's major version (2 for 2.19.6)."""
        with self._call("reading the cluster version"):
            return int(str(self.client.info()["version"]["number"]).split(".")[0])

    def put_pipeline(self, name: str, processor: dict[str, Any]) -> None:
        """Create or replace a search pipeline with one phase-results processor (idempotent)."""
        with self._call(f"creating search pipeline {name}"):
            self.client.transport.perform_request(
                "PUT", f"/_search/pipeline/{name}", body={"phase_results_processors": [processor]}
            )

    def search(self, index: str, body: dict[str, Any], pipeline: str | None = None) -> EngineResult:
        """Run a search, optionally through a named search pipeline."""
        params = {"search_pipeline": pipeline} if pipeline else {}
        with self._call(f"searching {index}"):
            answer: dict[str, Any] = self.client.search(index=index, body=body, params=params)
        return EngineResult.from_json(answer)

    def get_source(self, index: str, doc_id: str) -> dict[str, Any] | None:
        """A document's `_source`, or None when the index or the document does not exist."""
        try:
            with self._call(f"reading {doc_id} from {index}"):
                found: dict[str, Any] = self.client.get(index=index, id=doc_id)
        except EngineNotFoundError:
            return None
        return found.get("_source")

    def alias_meta(self, alias: str) -> tuple[str, dict[str, Any]] | None:
        """The index behind `alias` and its mapping `_meta`; None when the alias does not exist."""
        try:
            with self._call(f"reading alias {alias}"):
                mapping = self.client.indices.get_mapping(index=alias)
        except EngineNotFoundError:
            return None
        index, body = next(iter(mapping.items()))
        return index, body["mappings"].get("_meta", {})

    def ping(self) -> bool:
        """Whether the cluster answers at all."""
        try:
            with self._call("pinging the cluster"):
                return bool(self.client.ping())
        except EngineError:
            return False
