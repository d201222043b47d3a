"""Connect to OpenSearch: a configured cluster (URL, TLS, basic auth) or the managed local node."""

from __future__ import annotations

import logging

from opensearchpy import OpenSearch

from kernel.errors import NodeNotRunningError
from kernel.opensearch.node_card import live_urls
from kernel.opensearch.serializer import OrjsonSerializer
from kernel.opensearch.settings import ConnectionSettings

__all__ = ["make_client", "resolve_url", "resolve_urls"]


class _NotFoundIsAnAnswer(logging.Filter):
    """Drops opensearch-py's warning for a 404.

    A missing alias, index or document is an answer aisle expects (translated to EngineNotFoundError
    and handled where it is asked), not a failure to report.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        return not (isinstance(args, tuple) and len(args) >= 3 and args[2] == 404)


_QUIET_404 = _NotFoundIsAnAnswer()


def resolve_urls(settings: ConnectionSettings) -> list[str]:
    """The nodes aisle talks to: `AISLE_OPENSEARCH_URL`, else the managed node or cluster that runs.

    The URL setting may name several nodes, comma-separated; a managed cluster gives every live member.

    Raises:
        NodeNotRunningError: no URL is configured and no managed node is running.
    """
    if settings.url:
        return [url.strip().rstrip("/") for url in settings.url.split(",") if url.strip()]
    urls = live_urls(settings.node_dir)
    if not urls:
        raise NodeNotRunningError(
            "No OpenSearch to talk to: AISLE_OPENSEARCH_URL is not set and the managed node is not running. "
            "Start it with `aisle opensearch start`, or set AISLE_OPENSEARCH_URL to your cluster."
        )
    return urls


def resolve_url(settings: ConnectionSettings) -> str:
    """The first of `resolve_urls`: for tools that talk to one node over plain HTTP."""
    return resolve_urls(settings)[0]


def make_client(settings: ConnectionSettings, url: str | list[str] | None = None) -> OpenSearch:
    """An opensearch-py client for `url` (default: `resolve_urls`), with retries on timeouts.

    With several nodes a request that cannot reach one (refused, reset, timed out, 502-504) is retried
    on the next, and the unreachable node is left out until it answers again (opensearch-py's pool).
    """
    password = settings.password.get_secret_value() if settings.password else None
    logging.getLogger("opensearch").addFilter(_QUIET_404)  # once: a logger holds a filter object once
    hosts = [url] if isinstance(url, str) else (url or resolve_urls(settings))
    return OpenSearch(
        hosts=hosts,
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
