"""What `aisle opensearch status` shows about the cluster aisle uses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from opensearchpy import OpenSearch

from kernel.opensearch.errors import engine_call

__all__ = ["EngineInfo", "NodeInfo", "ShardCounts", "describe"]


@dataclass(frozen=True)
class NodeInfo:
    """One node of the cluster as `_cat/nodes` shows it."""

    name: str
    address: str
    roles: str
    manager: bool


@dataclass(frozen=True)
class ShardCounts:
    """The cluster's shard copies by state, from `_cluster/health`."""

    active: int
    primaries: int
    relocating: int
    initializing: int
    unassigned: int


@dataclass(frozen=True)
class EngineInfo:
    """Version, plugins, modules, heap, health, nodes and shards of a cluster."""

    url: str
    version: str
    plugins: dict[str, str]
    modules: list[str]
    heap_used_bytes: int
    heap_max_bytes: int
    status: str
    nodes: list[NodeInfo]
    shards: ShardCounts


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
        cat_nodes = client.cat.nodes(format="json", h="name,ip,http_address,node.role,cluster_manager")
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
        nodes=[
            NodeInfo(
                n["name"],
                n.get("http_address") or n.get("ip", ""),
                n.get("node.role", ""),
                n.get("cluster_manager") == "*",
            )
            for n in sorted(cat_nodes, key=lambda n: n["name"])
        ],
        shards=ShardCounts(
            active=health["active_shards"],
            primaries=health["active_primary_shards"],
            relocating=health["relocating_shards"],
            initializing=health["initializing_shards"],
            unassigned=health["unassigned_shards"],
        ),
    )
