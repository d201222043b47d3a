"""Catalog → OpenSearch: validated rows, BM25 text fields and k-NN vectors, blue/green by alias."""

from __future__ import annotations

from indexer.bluegreen import BuildReport, build_index
from indexer.errors import IndexerError
from indexer.guard import check_encoder
from indexer.incremental import UpdateReport, apply_updates
from indexer.lease import AliasLease
from indexer.lifecycle import IndexState, Version, gc, rollback, versions
from indexer.pipeline import LoadReport, load_products
from indexer.settings import IndexerSettings, get_indexer_settings
from indexer.store import IndexStore
from indexer.users import UsersReport, build_users_index

__all__ = [
    "AliasLease",
    "BuildReport",
    "IndexState",
    "IndexStore",
    "IndexerError",
    "IndexerSettings",
    "LoadReport",
    "UpdateReport",
    "UsersReport",
    "Version",
    "apply_updates",
    "build_index",
    "build_users_index",
    "check_encoder",
    "gc",
    "get_indexer_settings",
    "load_products",
    "rollback",
    "versions",
]
