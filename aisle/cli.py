"""The `aisle` command line. Commands stay thin: they parse options, call the packages, print."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from aisle.engine import ManagedNode, describe, find_java, get_engine_settings, install_distribution
from aisle.engine.image import build_image, build_python_base_image
from aisle.evaluation.cli import eval_command
from aisle.quickstart import StackSettings, bring_up, take_down
from aisle.simulate import StoreConfig, simulate, write_store
from encoders.cli import app as encoders_app
from encoders.train_cli import train_command
from indexer.cli import app as index_app
from kernel.errors import AisleError
from kernel.opensearch import make_client

__all__ = ["app", "main"]

app = typer.Typer(
    help="aisle: personalized hybrid product search on OpenSearch.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
opensearch_app = typer.Typer(help="The managed local OpenSearch node.", no_args_is_help=True)
app.add_typer(opensearch_app, name="opensearch")
app.add_typer(index_app, name="index")
app.add_typer(encoders_app, name="encoders")
app.command("train")(train_command)
app.command("eval")(eval_command)
image_app = typer.Typer(help="Container images built from Debian packages (no registry needed).", no_args_is_help=True)
app.add_typer(image_app, name="image")

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


@opensearch_app.command("install")
def opensearch_install() -> None:
    """Assemble OpenSearch with k-NN and neural-search from Maven Central (cached by version)."""
    settings = get_engine_settings()
    distribution = install_distribution(settings, find_java(settings), err)
    out.print(f"OpenSearch {distribution.version} is installed in {distribution.home}")
    out.print(f"modules: {', '.join(distribution.modules)}")
    out.print(f"plugins: {', '.join(distribution.plugins)}")


@opensearch_app.command("image")
def opensearch_image() -> None:
    """Build a Docker image of the same distribution (Debian root filesystem, no registry needed)."""
    settings = get_engine_settings()
    java = find_java(settings)
    distribution = install_distribution(settings, java, err)
    out.print(build_image(settings, distribution, java, err))


@image_app.command("python-base")
def image_python_base() -> None:
    """Build a Debian image with Python 3.11 to build the API image on where no registry is reachable."""
    out.print(build_python_base_image(get_engine_settings(), err))


@opensearch_app.command("start")
def opensearch_start() -> None:
    """Start the managed node on 127.0.0.1 (installing it first if needed) and wait for green."""
    node = ManagedNode(get_engine_settings())
    state = node.start(err)
    out.print(f"OpenSearch {state.version} is running at {state.url} (pid {state.pid}, data in {node.node_dir})")


@opensearch_app.command("stop")
def opensearch_stop() -> None:
    """Stop the managed node."""
    stopped = ManagedNode(get_engine_settings()).stop()
    out.print("OpenSearch stopped." if stopped else "OpenSearch was not running.")


@opensearch_app.command("status")
def opensearch_status() -> None:
    """Show the version, plugins, modules, heap and URL of the cluster aisle uses."""
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


@app.command("up")
def up(
    catalog: Annotated[
        Path | None, typer.Option(help="Your catalog (JSONL, CSV, Parquet) instead of the simulated store.")
    ] = None,
    events: Annotated[
        Path | None, typer.Option(help="Your purchase events, for shopper profiles (with --catalog).")
    ] = None,
    catalog_format: Annotated[str | None, typer.Option("--format", help="Catalog format, e.g. home-depot.")] = None,
    model: Annotated[Path | None, typer.Option(help="An exported model to use instead of fine-tuning.")] = None,
    products: Annotated[int | None, typer.Option(help="Simulated catalog size.")] = None,
    shoppers: Annotated[int | None, typer.Option(help="Simulated shoppers.")] = None,
    train_minutes: Annotated[float | None, typer.Option(help="Fine-tuning time budget.")] = None,
    port: Annotated[int | None, typer.Option(help="API port.")] = None,
) -> None:
    """Bring the whole stack up (OpenSearch, store, encoder, indices, API) and print where to reach it."""
    if events is not None and catalog is None:
        raise typer.BadParameter("--events goes with --catalog (the simulated store brings its own events)")
    overrides = {"products": products, "shoppers": shoppers, "train_minutes": train_minutes, "api_port": port}
    settings = StackSettings().model_copy(update={k: v for k, v in overrides.items() if v is not None})
    report = bring_up(settings, get_engine_settings(), err, catalog=catalog, events=events,
                      catalog_format=catalog_format, model=model)  # fmt: skip
    for step in report.steps:
        out.print(f"  {step.seconds:7.1f}s  {step.name}: {step.outcome}")
    out.print(f"  {report.seconds:7.1f}s  total")
    if report.simulated:
        out.print("The catalog, shoppers and their purchases are SIMULATED (aisle simulate; see the README).")
    out.print(f"Search page: {report.api_url}/   API docs: {report.api_url}/docs   OpenSearch: {report.opensearch_url}")
    out.print(f"Stop everything with: {_this_command()} down")


@app.command("down")
def down() -> None:
    """Stop everything `aisle up` started."""
    stopped = take_down(StackSettings(), get_engine_settings())
    out.print(f"Stopped {' and '.join(stopped)}." if stopped else "Nothing was running.")


@app.command("simulate")
def simulate_command(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for catalog, events, sessions, qrels.")],
    products: Annotated[int, typer.Option(min=100, help="Catalog size.")] = 50_000,
    shoppers: Annotated[int, typer.Option(min=10, help="Number of shoppers.")] = 2_000,
    sessions: Annotated[int, typer.Option(min=1, help="Search sessions per shopper.")] = 2,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same store.")] = 42,
    demographics: Annotated[
        bool, typer.Option(help="Give shoppers a region and customer type that shape their tastes (profiles.jsonl).")
    ] = False,
) -> None:
    """Generate the SIMULATED store: catalog, shoppers' purchases, search sessions and ground truth."""
    config = StoreConfig(products=products, shoppers=shoppers, sessions_per_shopper=sessions, seed=seed,
                         demographics=demographics)  # fmt: skip
    store = simulate(config)
    files = write_store(store, out_dir)
    counts = (f"{len(store.products):,} products, {len(store.events):,} purchases by {len(store.shoppers):,} "
              f"shoppers, {len(store.sessions):,} searches")  # fmt: skip
    out.print(f"SIMULATED store (seed {seed}) in {out_dir}: {counts}")
    profiles = f" --profiles {files['profiles.jsonl']}" if "profiles.jsonl" in files else ""
    out.print(f"index it: aisle index build --catalog {files['catalog.jsonl']} && "
              f"aisle index users --events {files['events.jsonl']}{profiles}")  # fmt: skip


@app.command("serve")
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (default AISLE_API_HOST, 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default AISLE_API_PORT, 8000).")] = None,
) -> None:
    """Run the search API."""
    import uvicorn

    from query_api import create_app, get_settings

    settings = get_settings()
    # The API writes its own structured line per request (with the request id); uvicorn's access
    # log would be a second one.
    uvicorn.run(create_app(settings), host=host or settings.host, port=port or settings.port, log_level="info",
                access_log=False)  # fmt: skip


def _this_command() -> str:
    # How the user reached this CLI (often .venv/bin/aisle), so printed commands can be pasted.
    invoked = Path(sys.argv[0])
    try:
        return str(invoked.resolve().relative_to(Path.cwd()))
    except ValueError:
        return invoked.name


def main() -> None:
    """Run the CLI; an expected failure prints one line (`ErrorClass: message`) and exits 1."""
    try:
        app()
    except AisleError as exc:
        err.print(f"{type(exc).__name__}: {exc}", markup=False, highlight=False)
        sys.exit(1)


if __name__ == "__main__":
    main()
