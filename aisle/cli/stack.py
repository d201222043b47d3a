"""`aisle up`, `aisle down`, `aisle simulate` and `aisle serve`: the whole stack, the store, the API.

`up` and `down` import the quickstart (which manages the node) when they run, so that `aisle serve`
loads the API alone.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from aisle.cli.console import err, out, this_command
from aisle.simulate import StoreConfig, simulate, write_store
from kernel.data.samples import sample_home_depot
from kernel.errors import CatalogError

__all__ = ["down", "serve", "simulate_command", "up"]


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
    from aisle.engine import get_engine_settings
    from aisle.quickstart import StackSettings, bring_up

    if events is not None and catalog is None:
        raise typer.BadParameter("--events goes with --catalog (the simulated store brings its own events)")
    overrides = {"products": products, "shoppers": shoppers, "train_minutes": train_minutes, "api_port": port}
    settings = StackSettings().model_copy(update={k: v for k, v in overrides.items() if v is not None})
    report = bring_up(
        settings,
        get_engine_settings(),
        err,
        catalog=catalog,
        events=events,
        catalog_format=catalog_format,
        model=model,
    )
    for step in report.steps:
        out.print(f"  {step.seconds:7.1f}s  {step.name}: {step.outcome}")
    out.print(f"  {report.seconds:7.1f}s  total")
    if report.simulated:
        out.print("The catalog, shoppers and their purchases are SIMULATED (aisle simulate; see the README).")
    out.print(f"Search page: {report.api_url}/   API docs: {report.api_url}/docs   OpenSearch: {report.opensearch_url}")
    out.print(f"Stop everything with: {this_command()} down")


def down() -> None:
    """Stop everything `aisle up` started."""
    from aisle.engine import get_engine_settings
    from aisle.quickstart import StackSettings, take_down

    stopped = take_down(StackSettings(), get_engine_settings())
    out.print(f"Stopped {' and '.join(stopped)}." if stopped else "Nothing was running.")


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
    config = StoreConfig(
        products=products, shoppers=shoppers, sessions_per_shopper=sessions, seed=seed, demographics=demographics
    )
    store = simulate(config)
    files = write_store(store, out_dir)
    counts = (
        f"{len(store.products):,} products, {len(store.events):,} purchases by {len(store.shoppers):,} "
        f"shoppers, {len(store.sessions):,} searches"
    )
    out.print(f"SIMULATED store (seed {seed}) in {out_dir}: {counts}")
    profiles = f" --profiles {files['profiles.jsonl']}" if "profiles.jsonl" in files else ""
    out.print(
        f"index it: aisle index build --catalog {files['catalog.jsonl']} && "
        f"aisle index users --events {files['events.jsonl']}{profiles}"
    )


def sample_command(
    home_depot: Annotated[Path, typer.Option(help="The Home Depot folder (products.csv.gz, judgments.csv.gz).")],
    out_dir: Annotated[Path, typer.Option("--out", help="Folder for the sample's two files.")],
    products: Annotated[int, typer.Option(min=100, help="Products in the sample.")] = 3_000,
    seed: Annotated[int, typer.Option(help="Seed of the query and product draw.")] = 0,
) -> None:
    """Write a smaller Home Depot folder: whole queries with every product judged for them, and distractors.

    Every command that takes `--home-depot DIR` (eval, rank train) reads it like the full data.
    """
    for name in ("products.csv.gz", "judgments.csv.gz"):
        if not (home_depot / name).is_file():
            raise CatalogError(f"{home_depot / name} is missing: point --home-depot at the folder holding {name}.")
    written, queries = sample_home_depot(home_depot, out_dir, products, seed)
    out.print(f"Home Depot sample in {out_dir}: {written:,} products, {queries:,} judged queries (seed {seed})")


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
    uvicorn.run(
        create_app(settings), host=host or settings.host, port=port or settings.port, log_level="info", access_log=False
    )
