"""`aisle index …`: build, update, roll back, and index user profiles."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from aisle.cli.console import err, is_verbose, out
from encoders import get_encoder_settings, load_encoder
from encoders.loading import batch_settings
from indexer.bluegreen import build_index
from indexer.incremental import apply_updates
from indexer.lifecycle import IndexState, gc, rollback, versions
from indexer.settings import IndexerSettings, get_indexer_settings
from indexer.store import IndexStore
from indexer.taxonomy_column import write_taxonomy_column
from indexer.users import build_users_index
from kernel.catalog import CatalogFormat
from kernel.data import read_event_file
from kernel.opensearch import get_connection_settings, make_client
from kernel.rejects import RejectLog

__all__ = ["app"]

app = typer.Typer(help="Catalog → OpenSearch.", no_args_is_help=True)

CatalogOption = Annotated[Path, typer.Option("--catalog", help="Catalog file: .jsonl, .csv or .parquet (.gz ok).")]
FormatOption = Annotated[CatalogFormat | None, typer.Option("--format", help="Catalog layout; default from the name.")]


def _settings(**overrides: object) -> IndexerSettings:
    given = {k: v for k, v in overrides.items() if v is not None}
    return get_indexer_settings().model_copy(update=given) if given else get_indexer_settings()


def _store(settings: IndexerSettings) -> IndexStore:
    return IndexStore(make_client(get_connection_settings()), settings)


@app.command("build")
def build(
    catalog: CatalogOption,
    fmt: FormatOption = None,
    max_reject_rate: Annotated[float | None, typer.Option(help="Largest share of rows that may be rejected.")] = None,
    alias: Annotated[str | None, typer.Option(help="Alias to switch to the new index.")] = None,
    ray: Annotated[
        str | None,
        typer.Option(
            "--ray",
            metavar="ADDRESS",
            help="Encode and bulk-load on a Ray cluster (host:port, ray://…), or `local` for a Ray of this machine.",
        ),
    ] = None,
    ray_workers: Annotated[int, typer.Option(min=1, help="Encoding actors on Ray (each loads the model once).")] = 2,
) -> None:
    """Index a whole catalog into a new index, check it, and switch the alias to it."""
    settings = _settings(max_reject_rate=max_reject_rate, alias=alias)
    encoder_settings = batch_settings(get_encoder_settings())
    encoder = load_encoder(encoder_settings)
    loader = None
    if ray is not None:
        try:
            from indexer.distributed import RayLoader
        except ImportError as exc:
            raise typer.BadParameter(
                f"--ray needs Ray ({exc.name} is missing): pip install -e '.[ray]'", param_hint="--ray"
            ) from exc
        loader = RayLoader(
            None if ray == "local" else ray, ray_workers, encoder_settings, get_connection_settings(), is_verbose()
        )
    report = build_index(_store(settings), encoder, catalog, settings, fmt=fmt, console=err, loader=loader)
    load = report.load
    out.print(
        f"{report.index}: {load.indexed:,} products indexed, {load.rejected:,} rejected "
        f"({', '.join(f'{k}: {v}' for k, v in report.reject_counts.items()) or 'none'}), "
        f"{load.docs_per_second:,.0f} docs/s end to end, encoder {encoder.fingerprint.value}"
    )
    if report.reject_counts:
        out.print(f"rejected rows and reasons: {report.rejects_path}")
    out.print(
        f"alias {settings.alias} → {report.index} (was {', '.join(report.previous) or 'new'})"
        + (f"; removed {', '.join(report.pruned)}" if report.pruned else "")
    )


AliasOption = Annotated[str | None, typer.Option(help="The alias (default AISLE_INDEXER_ALIAS, products).")]


@app.command("update")
def update(
    catalog: CatalogOption,
    fmt: FormatOption = None,
    delete_ids: Annotated[
        Path | None,
        typer.Option(help="File with one product id per line to delete.", exists=True, dir_okay=False),
    ] = None,
    alias: AliasOption = None,
    max_reject_rate: Annotated[float | None, typer.Option(help="Largest share of rows that may be rejected.")] = None,
) -> None:
    """Upsert changed products and delete ids in the live index (unchanged content is not re-encoded)."""
    settings = _settings(alias=alias, max_reject_rate=max_reject_rate)
    deletes = [line.strip() for line in delete_ids.read_text().splitlines() if line.strip()] if delete_ids else []
    encoder = load_encoder(batch_settings(get_encoder_settings()))
    report = apply_updates(_store(settings), encoder, catalog, deletes, settings, fmt=fmt)
    out.print(
        f"{report.index}: {report.created} new, {report.reencoded} re-encoded, {report.partial} price/stock only, "
        f"{report.unchanged} unchanged, {report.deleted} deleted, {report.not_found} not found, "
        f"{report.failed} failed" + (f"; rejects in {report.rejects_path}" if report.rejected else "")
    )


@app.command("rollback")
def rollback_command(alias: AliasOption = None) -> None:
    """Point the alias back at the newest older version that passed its gates."""
    settings = _settings(alias=alias)
    before, after = rollback(_store(settings), settings.alias, lease_ttl_s=settings.lease_ttl_s)
    out.print(f"alias {settings.alias}: {before} → {after}")


@app.command("status")
def status(alias: AliasOption = None) -> None:
    """List the alias's versions: state (building, gated, live, retired), documents, encoder, when built."""
    settings = _settings(alias=alias)
    found = versions(_store(settings), settings.alias)
    if not found:
        out.print(f"alias {settings.alias}: no versions (build one with `aisle index build`)")
        return
    out.print(f"alias {settings.alias}: {len(found)} version(s), oldest first")
    for version in found:
        state = version.state.value
        if version.state is IndexState.BUILDING:
            builder = version.builder or {}
            by = f"pid {builder.get('pid', '?')} on {builder.get('host', '?')}"
            state += f" (by {by}; `aisle index gc` removes it once that run is gone)"
        out.print(
            f"  {version.index}  {state}  {version.documents:,} documents  encoder {version.encoder or '-'}  "
            f"created {version.created_at or '-'}"
        )


@app.command("gc")
def gc_command(
    alias: AliasOption = None,
    dry_run: Annotated[bool, typer.Option(help="List what would be deleted, delete nothing.")] = False,
) -> None:
    """Delete versions left half-built by crashed builds, and retired ones beyond AISLE_INDEXER_KEEP_INDICES."""
    settings = _settings(alias=alias)
    doomed = gc(
        _store(settings), settings.alias, settings.keep_indices, dry_run=dry_run, lease_ttl_s=settings.lease_ttl_s
    )
    verb = "would delete" if dry_run else "deleted"
    out.print(f"alias {settings.alias}: {verb} {', '.join(doomed) if doomed else 'nothing'}")


@app.command("users")
def users(
    events: Annotated[Path, typer.Option("--events", help="Purchase events: .jsonl or .csv (.gz ok).")],
    profiles: Annotated[
        Path | None,
        typer.Option(help="Shopper profiles (user_id + demographic columns, .jsonl or .csv), cold shoppers too."),
    ] = None,
) -> None:
    """Build the users index (recent history, demographics, user vector) from purchase events."""
    settings = get_indexer_settings()
    rejects = RejectLog(settings.rejects_dir / "users.rejects.jsonl")
    try:
        report = build_users_index(
            _store(settings),
            settings.alias,
            read_event_file(events),
            rejects,
            settings,
            profiles=read_event_file(profiles) if profiles else (),
        )
    finally:
        rejects.close()
    unknown = sum(report.unknown_products.values())
    out.print(
        f"{report.index}: {report.users:,} users from {report.events:,} events; "
        f"{unknown} events name unknown products ({len(report.unknown_products)} distinct)"
        + (f"; {rejects.total} malformed events in {rejects.path}" if rejects.total else "")
    )


@app.command("assign-taxonomy")
def assign_taxonomy(
    catalog: Annotated[Path, typer.Option(help="Catalog without categories (any format `build` reads).")],
    taxonomy: Annotated[Path, typer.Option(help="Taxonomy TSV with a `path` column (Google's categories.tsv).")],
    out_file: Annotated[
        Path, typer.Option("--out", help="CSV to write (.csv.gz ok): id, title, category, confidence.")
    ],
    catalog_format: Annotated[
        CatalogFormat | None, typer.Option("--format", help="Catalog format; default: from the file name.")
    ] = None,
    prior_weight: Annotated[float, typer.Option(help="Catalog-prior refinement weight (0: none).")] = 0.04,
) -> None:
    """File every product under a taxonomy leaf (title ↔ leaf embedding similarity + catalog prior)."""
    from encoders.taxonomy_assignment import TaxonomyAssigner
    from kernel.taxonomy import Taxonomy

    encoder = load_encoder(batch_settings(get_encoder_settings()))
    assigner = TaxonomyAssigner(Taxonomy.from_tsv(taxonomy), encoder.encode_texts, prior_weight=prior_weight)
    report = write_taxonomy_column(catalog, catalog_format, assigner, out_file)
    for line, reason in report.skipped.items():
        err.print(f"line {line}: skipped: {reason}")
    out.print(
        f"assigned {report.assigned:,} products to {report.leaves:,} leaves (median confidence "
        f"{report.median_confidence:.2f}); {len(report.skipped):,} rows skipped; wrote {out_file}"
    )
