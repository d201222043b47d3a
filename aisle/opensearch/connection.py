"""Connect to OpenSearch: a configured cluster (URL, TLS, basic auth) or the managed local node.

This is the one place where opensearch-py's transport errors become aisle errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from opensearchpy import OpenSearch
from opensearchpy.exceptions import ConnectionError as OpenSearchConnectionError
from opensearchpy.exceptions import TransportError

from aisle.opensearch.errors import EngineUnreachableError, NodeNotRunningError
from aisle.opensearch.node import ManagedNode
from aisle.opensearch.serializer import OrjsonSerializer
from aisle.opensearch.settings import EngineSettings

__all__ = ["EngineInfo", "describe", "make_client", "resolve_url"]


def resolve_url(settings: EngineSettings) -> str:
    """The cluster aisle talks to: `AISLE_OPENSEARCH_URL`, else the running managed node.

    Raises:
        NodeNotRunningError: no URL is configured and the managed node is not running.
    """
    if settings.url:
        return settings.url.rstrip("/")
    state = ManagedNode(settings).running_state()
    if state is None:
        raise NodeNotRunningError(
            "No OpenSearch to talk to: AISLE_OPENSEARCH_URL is not set and the managed node is not running. "
            "Start it with `aisle opensearch start`, or set AISLE_OPENSEARCH_URL to your cluster."
        )
    return state.url


def make_client(settings: EngineSettings, url: str | None = None) -> OpenSearch:
    """An opensearch-py client for `url` (default: `resolve_url`), with retries on timeouts."""
    password = settings.password.get_secret_value() if settings.password else None
    return OpenSearch(
        hosts=[url or resolve_url(settings)],
        http_auth=(settings.username, password) if settings.username else None,
        verify_certs=settings.verify_certs,
        ca_certs=str(settings.ca_certs) if settings.ca_certs else None,
        ssl_show_warn=settings.verify_certs,
        timeout=settings.timeout_s,
        pool_maxsize=settings.pool_size,
        max_retries=3,
        retry_on_timeout=True,
        serializer=OrjsonSerializer(),
    )


@dataclass(frozen=True)
class EngineInfo:
    """What `aisle opensearch status` shows about a cluster."""

    url: str
    version: str
    plugins: dict[str, str]
    modules: list[str]
    heap_used_bytes: int
    heap_max_bytes: int
    status: str


def describe(client: OpenSearch, url: str) -> EngineInfo:
    """Version, plugins, modules, heap and health of the cluster behind `client`.

    Raises:
        EngineUnreachableError: the cluster does not answer or refuses the request.
    """
    try:
        root: dict[str, Any] = client.info()
        plugins = client.cat.plugins(format="json")
        nodes = client.nodes.info(metric="plugins")
        stats = client.nodes.stats(metric="jvm")
        health = client.cluster.health()
    except (OpenSearchConnectionError, TransportError) as exc:
        raise EngineUnreachableError(
            f"OpenSearch at {url} did not answer ({exc}). Check that it runs and that the URL, TLS and "
            "credentials settings (AISLE_OPENSEARCH_URL, _USERNAME, _PASSWORD, _CA_CERTS) are right."
        ) from exc
    modules = sorted({m["name"] for node in nodes["nodes"].values() for m in node.get("modules", [])})
    jvm = [node["jvm"]["mem"] for node in stats["nodes"].values()]
    return EngineInfo(
        url=url,
        version=root["version"]["number"],
        plugins={p["component"]: p["version"] for p in plugins},
        modules=modules,
        heap_used_bytes=sum(m["heap_used_in_bytes"] for m in jvm),
        heap_max_bytes=sum(m["heap_max_in_bytes"] for m in jvm),
        status=health["status"],
    )
