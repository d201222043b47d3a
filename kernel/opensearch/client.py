"""Connect to OpenSearch: a configured cluster (URL, TLS, basic auth) or the managed local node."""

from __future__ import annotations

import logging

from opensearchpy import OpenSearch

from kernel.errors import NodeNotRunningError
from kernel.opensearch.node_card import read_node_state
from kernel.opensearch.serializer import OrjsonSerializer
from kernel.opensearch.settings import ConnectionSettings

__all__ = ["make_client", "resolve_url"]


class _NotFoundIsAnAnswer(logging.Filter):
    """Drops opensearch-py's warning for a 404.

    A missing alias, index or document is an answer aisle expects (translated to EngineNotFoundError
    and handled where it is asked), not a failure to report.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        return not (isinstance(args, tuple) and len(args) >= 3 and args[2] == 404)


_QUIET_404 = _NotFoundIsAnAnswer()


def resolve_url(settings: ConnectionSettings) -> str:
    """The cluster aisle talks to: `AISLE_OPENSEARCH_URL`, else the running managed node.

    Raises:
        NodeNotRunningError: no URL is configured and the managed node is not running.
    """
    if settings.url:
        return settings.url.rstrip("/")
    state = read_node_state(settings.node_dir)
    if state is None:
        raise NodeNotRunningError(
            "No OpenSearch to talk to: AISLE_OPENSEARCH_URL is not set and the managed node is not running. "
            "Start it with `aisle opensearch start`, or set AISLE_OPENSEARCH_URL to your cluster."
        )
    return state.url


def make_client(settings: ConnectionSettings, url: str | None = None) -> OpenSearch:
    """An opensearch-py client for `url` (default: `resolve_url`), with retries on timeouts."""
    password = settings.password.get_secret_value() if settings.password else None
    logging.getLogger("opensearch").addFilter(_QUIET_404)  # once: a logger holds a filter object once
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
