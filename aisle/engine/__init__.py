"""The managed OpenSearch: assembled from Maven Central, run as a local node, built into an image."""

from __future__ import annotations

from aisle.engine.cluster import ManagedCluster
from aisle.engine.distribution import Distribution, install_distribution
from aisle.engine.java import JavaRuntime, find_java
from aisle.engine.node import ManagedNode, free_port
from aisle.engine.settings import EngineSettings, get_engine_settings
from aisle.engine.status import EngineInfo, describe

__all__ = [
    "Distribution",
    "EngineInfo",
    "EngineSettings",
    "JavaRuntime",
    "ManagedCluster",
    "ManagedNode",
    "describe",
    "find_java",
    "free_port",
    "get_engine_settings",
    "install_distribution",
]
