"""The OpenSearch client: settings, connection, serializer, and the one translation of its errors."""

from __future__ import annotations

from kernel.opensearch.client import make_client, resolve_url, resolve_urls
from kernel.opensearch.errors import engine_call, translate
from kernel.opensearch.node_card import NodeState, read_node_state
from kernel.opensearch.settings import ConnectionSettings, get_connection_settings

__all__ = [
    "ConnectionSettings",
    "NodeState",
    "engine_call",
    "get_connection_settings",
    "make_client",
    "read_node_state",
    "resolve_url",
    "resolve_urls",
    "translate",
]
