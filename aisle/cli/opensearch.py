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
def opensearch_start() -> None:
    """Start the managed node on 127.0.0.1 (installing it first if needed) and wait for green."""
    from aisle.engine import ManagedNode, get_engine_settings

    node = ManagedNode(get_engine_settings())
    state = node.start(err)
    out.print(f"OpenSearch {state.version} is running at {state.url} (pid {state.pid}, data in {node.node_dir})")


@opensearch_app.command("stop")
def opensearch_stop() -> None:
    """Stop the managed node."""
    from aisle.engine import ManagedNode, get_engine_settings

    stopped = ManagedNode(get_engine_settings()).stop()
    out.print("OpenSearch stopped." if stopped else "OpenSearch was not running.")


@opensearch_app.command("status")
def opensearch_status() -> None:
    """Show the version, plugins, modules, heap and URL of the cluster aisle uses."""
    from aisle.engine import ManagedNode, describe, get_engine_settings
    from kernel.opensearch import make_client

    settings = get_engine_settings()
    node = ManagedNode(settings)
    state = node.running_state()
    if settings.url is None and state is None:
        out.print(f"The managed node is not running (data in {node.node_dir}). Start it with `aisle opensearch start`.")
        raise typer.Exit(3)
    url = settings.url or (state.url if state else "")
    info = describe(make_client(settings, url), url)
    out.print(f"url:      {info.url}" + (f" (managed node, pid {state.pid})" if state and not settings.url else ""))
    out.print(f"version:  {info.version}")
    out.print(f"health:   {info.status}")
    out.print(f"plugins:  {', '.join(f'{k} {v}' for k, v in sorted(info.plugins.items())) or 'none'}")
    out.print(f"modules:  {', '.join(info.modules)}")
    out.print(f"heap:     {info.heap_used_bytes / 2**20:.0f} MiB used of {info.heap_max_bytes / 2**20:.0f} MiB")
