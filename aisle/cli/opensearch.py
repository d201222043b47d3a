"""`aisle opensearch …` and `aisle image …`: the managed node and the container images.

The node-management code is imported inside each command, not at the top: every `aisle` process
loads this module, and the one that serves searches (`aisle serve`) has no use for Maven or Java.
"""

from __future__ import annotations

import typer

from aisle.cli.console import err, out

__all__ = ["image_app", "opensearch_app"]

opensearch_app = typer.Typer(help="The managed local OpenSearch node.", no_args_is_help=True)
image_app = typer.Typer(help="Container images built from Debian packages (no registry needed).", no_args_is_help=True)


@opensearch_app.command("install")
def opensearch_install() -> None:
    """Assemble OpenSearch with k-NN and neural-search from Maven Central (cached by version)."""
    from aisle.engine import find_java, get_engine_settings, install_distribution

    settings = get_engine_settings()
    distribution = install_distribution(settings, find_java(settings), err)
    out.print(f"OpenSearch {distribution.version} is installed in {distribution.home}")
    out.print(f"modules: {', '.join(distribution.modules)}")
    out.print(f"plugins: {', '.join(distribution.plugins)}")


@opensearch_app.command("image")
def opensearch_image() -> None:
    """Build a Docker image of the same distribution (Debian root filesystem, no registry needed)."""
    from aisle.engine import find_java, get_engine_settings, install_distribution
    from aisle.engine.image import build_image

    settings = get_engine_settings()
    java = find_java(settings)
    distribution = install_distribution(settings, java, err)
    out.print(build_image(settings, distribution, java, err))


@image_app.command("python-base")
def image_python_base() -> None:
    """Build a Debian image with Python 3.11 to build the API image on where no registry is reachable."""
    from aisle.engine import get_engine_settings
    from aisle.engine.image import build_python_base_image

    out.print(build_python_base_image(get_engine_settings(), err))


@opensearch_app.command("start")
def opensearch_start(
    nodes: int = typer.Option(
        1, "--nodes", min=1, max=9, help="Start a local cluster of this many nodes (each its own ports and data)."
    ),
) -> None:
    """Start the managed node, or a cluster of `--nodes N`, on 127.0.0.1 (installing it first); wait for green."""
    from aisle.engine import ManagedCluster, ManagedNode, get_engine_settings

    settings = get_engine_settings()
    if nodes == 1:
        node = ManagedNode(settings)
        if node.running_state() is None and ManagedCluster.running_in(node.node_dir):
            out.print(f"A managed cluster runs from {node.node_dir}: stop it first (`aisle opensearch stop`).")
            raise typer.Exit(1)
        state = node.start(err)
        out.print(f"OpenSearch {state.version} is running at {state.url} (pid {state.pid}, data in {node.node_dir})")
        return
    cluster = ManagedCluster(settings, nodes)
    states = cluster.start(err)
    out.print(
        f"OpenSearch {states[0].version}: a cluster of {len(states)} nodes is green (data in {cluster.cluster_dir})"
    )
    for member, state in zip(cluster.members, states, strict=False):
        out.print(f"  {member.name}  {state.url}  (pid {state.pid})")


@opensearch_app.command("stop")
def opensearch_stop() -> None:
    """Stop the managed node, or every member of the managed cluster."""
    from aisle.engine import ManagedCluster, ManagedNode, get_engine_settings

    settings = get_engine_settings()
    stopped = int(ManagedNode(settings).stop()) + ManagedCluster.stop_all(settings)
    out.print(
        f"OpenSearch stopped ({stopped} node{'s' if stopped != 1 else ''})."
        if stopped
        else "OpenSearch was not running."
    )


@opensearch_app.command("status")
def opensearch_status() -> None:
    """Show the version, plugins, modules, heap, URL, nodes and shards of the cluster aisle uses."""
    from aisle.engine import ManagedNode, describe, get_engine_settings
    from kernel.errors import NodeNotRunningError
    from kernel.opensearch import make_client, resolve_urls

    settings = get_engine_settings()
    node = ManagedNode(settings)
    state = node.running_state()
    try:
        urls = resolve_urls(settings)
    except NodeNotRunningError:
        urls = None
    if urls is None:
        out.print(f"The managed node is not running (data in {node.node_dir}). Start it with `aisle opensearch start`.")
        raise typer.Exit(3)
    info = describe(make_client(settings, urls), ", ".join(urls))
    managed = f" (managed node, pid {state.pid})" if state and not settings.url else ""
    out.print(f"url:      {info.url}{managed}")
    out.print(f"version:  {info.version}")
    out.print(f"health:   {info.status}")
    out.print(f"nodes:    {len(info.nodes)}")
    for member in info.nodes:
        out.print(f"  {member.name}  {member.address}  {member.roles}{'  (cluster manager)' if member.manager else ''}")
    out.print(
        f"shards:   {info.shards.active} active ({info.shards.primaries} primaries), {info.shards.relocating} "
        f"relocating, {info.shards.initializing} initializing, {info.shards.unassigned} unassigned"
    )
    out.print(f"plugins:  {', '.join(f'{k} {v}' for k, v in sorted(info.plugins.items())) or 'none'}")
    out.print(f"modules:  {', '.join(info.modules)}")
    out.print(f"heap:     {info.heap_used_bytes / 2**20:.0f} MiB used of {info.heap_max_bytes / 2**20:.0f} MiB")
