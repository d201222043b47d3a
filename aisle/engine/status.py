"""What `aisle opensearch status` shows about the cluster aisle uses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from opensearchpy import OpenSearch

from kernel.opensearch.errors import engine_call

__all__ = ["EngineInfo", "describe"]


@dataclass(frozen=True)
class EngineInfo:
    """Version, plugins, modules, heap and health of a cluster."""

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
        EngineError: the cluster does not answer or refuses the request.
    """
    with engine_call(client, "describing the cluster"):
        root: dict[str, Any] = client.info()
        plugins = client.cat.plugins(format="json")
        nodes = client.nodes.info(metric="plugins")
        stats = client.nodes.stats(metric="jvm")
        health = client.cluster.health()
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
