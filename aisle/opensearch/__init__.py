"""The OpenSearch engine aisle runs on: a node assembled from Maven Central, or your own cluster."""

from __future__ import annotations

from aisle.opensearch.connection import EngineInfo, describe, make_client, resolve_url
from aisle.opensearch.distribution import Distribution, install_distribution
from aisle.opensearch.errors import EngineError
from aisle.opensearch.java import JavaRuntime, find_java
from aisle.opensearch.node import ManagedNode, NodeState
from aisle.opensearch.settings import EngineSettings, get_engine_settings

__all__ = [
    "Distribution",
    "EngineError",
    "EngineInfo",
    "EngineSettings",
    "JavaRuntime",
    "ManagedNode",
    "NodeState",
    "describe",
    "find_java",
    "get_engine_settings",
    "install_distribution",
    "make_client",
    "resolve_url",
]
