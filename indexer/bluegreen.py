"""Full builds into a new versioned index, gated, then switched live with one atomic alias move.

Every step before the alias move may fail; none of them touches the alias, so searches keep
hitting the previous index. After a swap the newest `keep_indices` versions stay for rollback.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from rich.console import Console

from encoders import Encoder
from indexer.errors import GateError, RejectRateError
from indexer.lease import AliasLease
from indexer.lifecycle import IndexState, prune, publish, set_state
from indexer.pipeline import LoadReport, load_products
from indexer.progress import indexing_progress
from indexer.settings import IndexerSettings
from indexer.store import IndexStore
from kernel.catalog import CatalogFormat, read_products
from kernel.catalog.counting import count_rows
from kernel.digest import file_digest
from kernel.documents.mappings import load_mapping, mapping_digest
from kernel.documents.products import PRODUCTS_MAPPING as MAPPING
from kernel.errors import EngineError
from kernel.product import Product
from kernel.rejects import RejectLog

__all__ = ["BuildReport", "IndexLayout", "Loader", "build_index", "index_layout", "new_index_name", "product_inputs"]


@dataclass
class BuildReport:
    """What a full build did, for the CLI summary and the run log."""

    index: str
    load: LoadReport
    rejects_path: Path
    reject_counts: dict[str, int]
    previous: list[str] = field(default_factory=list)
    pruned: list[str] = field(default_factory=list)


class Loader(Protocol):
    """Loads a catalog into a new index (another than the local one: `indexer.distributed.RayLoader`)."""

    def __call__(
        self,
        store: IndexStore,
        encoder: Encoder,
        index: str,
        catalog: Path,
        fmt: CatalogFormat | None,
        rejects: RejectLog,
        settings: IndexerSettings,
    ) -> LoadReport:
        """Every valid row into `index`, every other one into `rejects` with its reason."""
        ...


@dataclass(frozen=True)
class IndexLayout:
    """Primary shards and replicas of a products index."""

    shards: int
    replicas: int


def index_layout(settings: IndexerSettings, data_nodes: int) -> IndexLayout:
    """The configured shards and replicas, or for those unset what suits `data_nodes` (see IndexerSettings)."""
    shards = settings.shards if settings.shards is not None else max(1, data_nodes)
    replicas = settings.replicas if settings.replicas is not None else (1 if data_nodes >= 2 else 0)
    return IndexLayout(shards, replicas)


def product_inputs(
    catalog: Path, fmt: CatalogFormat | None, encoder: Encoder, settings: IndexerSettings, layout: IndexLayout
) -> dict[str, Any]:
    """What a products index is built from: it is current while all of these are unchanged."""
    return {
        "catalog_sha256": file_digest(catalog),
        "format": fmt.value if fmt else None,
        "encoder": encoder.fingerprint.value,
        "mapping": MAPPING,
        # The file's content, not just its name: a field added to it means a new build.
        "mapping_sha256": mapping_digest(MAPPING),
        "shards": layout.shards,
        "hnsw_m": settings.hnsw_m,
        "hnsw_ef_construction": settings.hnsw_ef_construction,
    }


def new_index_name(alias: str, now: dt.datetime | None = None) -> str:
    """`<alias>-<UTC timestamp>`: sorts by creation time."""
    now = now or dt.datetime.now(dt.UTC)
    return f"{alias}-{now:%Y%m%dt%H%M%S%f}"


def build_index(
    store: IndexStore,
    encoder: Encoder,
    catalog: Path,
    settings: IndexerSettings,
    *,
    fmt: CatalogFormat | None = None,
    console: Console | None = None,
    loader: Loader | None = None,
) -> BuildReport:
    """Index the whole catalog into a new index and switch `settings.alias` to it if every gate passes.

    `loader` replaces the local load (read, validate, encode, bulk) and nothing else: the gates, the
    `_meta` and the swap are the same for every loader.

    Raises:
        CatalogError: the catalog cannot be read.
        RejectRateError: too many rows were rejected (the new index is deleted, the alias untouched).
        GateError: count, bulk failures or canaries are off (the new index is deleted, the alias untouched).
        EngineError: OpenSearch failed (the alias untouched).
        AliasBusyError: another process is changing the alias (nothing was built).
    """
    console = console or Console(stderr=True)
    with AliasLease(store, settings.alias, settings.lease_ttl_s) as lease:
        return _build(store, encoder, catalog, settings, fmt, console, lease, loader)


def _build(
    store: IndexStore,
    encoder: Encoder,
    catalog: Path,
    settings: IndexerSettings,
    fmt: CatalogFormat | None,
    console: Console,
    lease: AliasLease,
    loader: Loader | None,
) -> BuildReport:
    index = new_index_name(settings.alias)
    layout = index_layout(settings, store.data_nodes())
    meta = {
        "aisle": {
            "mapping": MAPPING,
            "encoder": encoder.fingerprint.to_dict(),
            "catalog": {"source": str(catalog), "format": (fmt.value if fmt else None)},
            "inputs": product_inputs(catalog, fmt, encoder, settings, layout),
            "created_at": dt.datetime.now(dt.UTC).isoformat(),
            "state": IndexState.BUILDING.value,
            "builder": lease.owner,
        }
    }
    body = load_mapping(
        MAPPING,
        meta=meta,
        shards=layout.shards,
        dimension=encoder.dimension,
        hnsw_m=settings.hnsw_m,
        hnsw_ef_construction=settings.hnsw_ef_construction,
    )
    # Loading is fastest with no replicas and no periodic refresh; both are restored before gates.
    body["settings"]["index"]["refresh_interval"] = "-1"
    rejects = RejectLog(settings.rejects_dir / f"{index}.rejects.jsonl")
    rejects.check_writable()
    store.create_index(index, body)
    try:
        if loader is not None:
            load = loader(store, encoder, index, catalog, fmt, rejects, settings)
        else:
            with indexing_progress(console) as progress:
                load = load_products(
                    store,
                    encoder,
                    index,
                    read_products(catalog, fmt),
                    rejects,
                    settings,
                    expected_rows=count_rows(catalog, fmt),
                    progress=progress,
                )
        rejects.close()
        _check_reject_rate(load, rejects, settings)
        store.refresh(index)
        # Before replicas exist, so the merge runs once; searches never see the unmerged index.
        store.force_merge(index, settings.max_segments, settings.merge_timeout_s)
        store.put_settings(index, {"refresh_interval": "1s", "number_of_replicas": layout.replicas})
        _gate(store, index, load)
        set_state(store, index, IndexState.GATED)
        previous = publish(store, settings.alias, index, lease)
    except BaseException:
        rejects.close()
        # Best effort: with OpenSearch gone the half-built index stays, marked `building` (`aisle index gc`
        # removes it), and the original error is the one worth reporting.
        with contextlib.suppress(EngineError):
            store.delete_index(index)
        raise
    pruned = prune(store, settings.alias, settings.keep_indices)
    return BuildReport(index, load, rejects.path, dict(rejects.counts), previous, pruned)


def _check_reject_rate(load: LoadReport, rejects: RejectLog, settings: IndexerSettings) -> None:
    if load.read == 0:
        raise RejectRateError("The catalog has no rows; nothing was indexed and the alias was not moved.")
    rate = rejects.total / load.read
    if rate > settings.max_reject_rate:
        summary = ", ".join(f"{code}: {n}" for code, n in rejects.counts.most_common())
        raise RejectRateError(
            f"{rejects.total} of {load.read} rows ({rate:.1%}) were rejected ({summary}), more than "
            f"--max-reject-rate {settings.max_reject_rate:.1%}. The alias was not moved. Each row and its reason "
            f"is in {rejects.path}; fix them, or raise the rate if they are expected.",
            rejects.path,
        )


def _gate(store: IndexStore, index: str, load: LoadReport) -> None:
    if load.bulk_failures:
        raise GateError(f"{load.bulk_failures} documents failed to index into {index}; the alias was not moved.")
    count = store.count(index)
    if count != load.accepted:
        raise GateError(
            f"{index} holds {count} documents but {load.accepted} rows were accepted; the alias was not moved."
        )
    for product in load.canaries:
        _canary(store, index, product)


def _canary(store: IndexStore, index: str, product: Product) -> None:
    # A product must be reachable through its own title (BM25) and through its own vector (k-NN),
    # so a broken analyzer or vector field fails here instead of in production. The id filter
    # keeps catalogs with duplicate titles from failing the check.
    only_this = {"ids": {"values": [product.id]}}
    stored = store.search(index, {"size": 1, "_source": ["vector"], "query": only_this})["hits"]["hits"]
    lexical = {
        "size": 1,
        "_source": False,
        "query": {"bool": {"must": {"match": {"title": product.title}}, "filter": only_this}},
    }
    found_lexical = bool(store.search(index, lexical)["hits"]["hits"])
    found_knn = False
    if stored:
        own = stored[0]["_source"]["vector"]
        knn: dict[str, Any] = {
            "size": 1,
            "_source": False,
            "query": {"knn": {"vector": {"vector": own, "k": 1, "filter": only_this}}},
        }
        found_knn = bool(store.search(index, knn)["hits"]["hits"])
    if not (found_lexical and found_knn):
        missing = " and ".join(n for n, ok in (("title", found_lexical), ("vector", found_knn)) if not ok)
        raise GateError(
            f"Canary failed: product {product.id!r} ({product.title!r}) is not found by its own {missing} "
            f"in {index}; the alias was not moved."
        )
