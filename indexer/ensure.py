"""Index a dataset, or keep what is live when it was built from the same inputs.

The one entry point quickstart, evaluation and the benchmarks use. Every build records the inputs it
was made from in its index's `_meta` (file digests, the encoder's fingerprint, the settings that shape
the index, and for users the products index their vectors came from); an alias whose live index
records exactly the inputs asked for is current, and is kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console

from encoders import Encoder
from indexer.bluegreen import BuildReport, build_index, index_layout, product_inputs
from indexer.settings import IndexerSettings
from indexer.store import IndexStore
from indexer.users import UsersReport, build_users_index
from kernel.catalog import CatalogFormat
from kernel.data import read_event_file
from kernel.digest import file_digest
from kernel.rejects import RejectLog

__all__ = ["Ensured", "ensure_products", "ensure_users", "recorded_inputs"]


@dataclass(frozen=True)
class Ensured:
    """The live index behind an alias, and the build that made it now (None: it was current)."""

    index: str
    build: BuildReport | UsersReport | None = None

    @property
    def reused(self) -> bool:
        """Whether the live index was already current."""
        return self.build is None


def recorded_inputs(store: IndexStore, alias: str) -> tuple[str, dict[str, Any] | None] | None:
    """The alias's live index and the inputs it records (None: no alias)."""
    targets = store.alias_targets(alias)
    if len(targets) != 1:
        return None
    inputs: dict[str, Any] | None = store.meta(targets[0]).get("aisle", {}).get("inputs")
    return targets[0], inputs


def ensure_products(
    store: IndexStore,
    encoder: Encoder,
    catalog: Path,
    settings: IndexerSettings,
    *,
    fmt: CatalogFormat | None = None,
    console: Console | None = None,
    rebuild: bool = False,
) -> Ensured:
    """`settings.alias` on an index of `catalog` encoded by `encoder`: the live one if current, else a new build."""
    live = recorded_inputs(store, settings.alias)
    if not rebuild and live is not None:
        layout = index_layout(settings, store.data_nodes())
        if live[1] == product_inputs(catalog, fmt, encoder, settings, layout):
            return Ensured(live[0])
    report = build_index(store, encoder, catalog, settings, fmt=fmt, console=console)
    return Ensured(report.index, report)


def users_inputs(events: Path, profiles: Path | None, products_index: str, settings: IndexerSettings) -> dict[str, Any]:
    """What a users index is built from: it is current while all of these are unchanged."""
    return {
        "events_sha256": file_digest(events),
        "profiles_sha256": file_digest(profiles) if profiles else None,
        "products_index": products_index,
        "history_size": settings.history_size,
        "history_half_life_days": settings.history_half_life_days,
    }


def ensure_users(
    store: IndexStore,
    events: Path,
    settings: IndexerSettings,
    *,
    profiles: Path | None = None,
    rebuild: bool = False,
) -> Ensured:
    """`settings.users_index` built from `events` (and `profiles`) over the live `settings.alias`, if not current.

    Malformed rows go to `<rejects_dir>/<users alias>.rejects.jsonl`.
    """
    products = store.alias_targets(settings.alias)
    inputs = users_inputs(events, profiles, products[0] if products else "", settings)
    live = recorded_inputs(store, settings.users_index)
    if not rebuild and live is not None and live[1] == inputs:
        return Ensured(live[0])
    rejects = RejectLog(settings.rejects_dir / f"{settings.users_index}.rejects.jsonl")
    try:
        rows = read_event_file(profiles) if profiles else ()
        report = build_users_index(
            store, settings.alias, read_event_file(events), rejects, settings, profiles=rows, inputs=inputs
        )
    finally:
        rejects.close()
    return Ensured(report.index, report)
