"""Every OpenSearch call the API makes, and the one place its exceptions become API errors."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from opensearchpy import OpenSearch
from opensearchpy.exceptions import ConnectionError as OpenSearchConnectionError
from opensearchpy.exceptions import NotFoundError, TransportError

from query_api.errors import IndexNotReadyError, QueryApiError, SearchUnavailableError

__all__ = ["NEURAL_SEARCH_PLUGIN", "SearchBackend"]

NEURAL_SEARCH_PLUGIN = "opensearch-neural-search"


@contextlib.contextmanager
def translated(action: str) -> Iterator[None]:
    """Turn opensearch-py exceptions raised while doing `action` into API errors."""
    try:
        yield
    except OpenSearchConnectionError as exc:  # includes timeouts
        raise SearchUnavailableError(f"OpenSearch did not answer while {action}; try again shortly.") from exc
    except NotFoundError as exc:
        raise IndexNotReadyError(f"OpenSearch has no such index or alias while {action}: {exc.error}.") from exc
    except TransportError as exc:
        if isinstance(exc.status_code, int) and (exc.status_code >= 500 or exc.status_code == 429):
            raise SearchUnavailableError(
                f"OpenSearch is overloaded or failing ({exc.status_code}) while {action}."
            ) from exc
        raise QueryApiError(f"OpenSearch rejected the request while {action}: {exc.status_code} {exc.error}.") from exc


class SearchBackend:
    """The API's view of OpenSearch.

    Args:
        client: An opensearch-py client (built once, with the API's timeout).
    """

    def __init__(self, client: OpenSearch) -> None:
        self.client = client

    def plugins(self) -> set[str]:
        """Names of the plugins installed on the cluster (`_cat/plugins`)."""
        with translated("listing plugins"):
            return {row["component"] for row in self.client.cat.plugins(format="json")}

    def major_version(self) -> int:
        """The cluster's major version (2 for 2.19.6)."""
        with translated("reading the cluster version"):
            return int(str(self.client.info()["version"]["number"]).split(".")[0])

    def put_pipeline(self, name: str, processor: dict[str, Any]) -> None:
        """Create or replace a search pipeline with one phase-results processor (idempotent)."""
        with translated(f"creating search pipeline {name}"):
            self.client.transport.perform_request(
                "PUT", f"/_search/pipeline/{name}", body={"phase_results_processors": [processor]}
            )

    def search(self, index: str, body: dict[str, Any], pipeline: str | None = None) -> dict[str, Any]:
        """Run a search, optionally through a named search pipeline."""
        params = {"search_pipeline": pipeline} if pipeline else {}
        with translated(f"searching {index}"):
            result: dict[str, Any] = self.client.search(index=index, body=body, params=params)
            return result

    def get_source(self, index: str, doc_id: str) -> dict[str, Any] | None:
        """A document's `_source`, or None when the index or the document does not exist."""
        with translated(f"reading {doc_id} from {index}"):
            try:
                found: dict[str, Any] = self.client.get(index=index, id=doc_id)
            except NotFoundError:
                return None
        return found.get("_source")

    def alias_meta(self, alias: str) -> tuple[str, dict[str, Any]] | None:
        """The index behind `alias` and its mapping `_meta`; None when the alias does not exist."""
        with translated(f"reading alias {alias}"):
            try:
                mapping = self.client.indices.get_mapping(index=alias)
            except NotFoundError:
                return None
        index, body = next(iter(mapping.items()))
        return index, body["mappings"].get("_meta", {})

    def ping(self) -> bool:
        """Whether the cluster answers at all."""
        try:
            return bool(self.client.ping())
        except (OpenSearchConnectionError, TransportError):
            return False
