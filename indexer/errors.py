"""Errors of the indexer.

AisleError
└── IndexerError
    ├── CatalogError            the catalog file cannot be read at all
    ├── RejectRateError         too many rows were rejected; nothing went live
    ├── GateError               a pre-swap gate failed; the alias did not move
    ├── AliasError              the alias is missing or points somewhere unexpected
    ├── FingerprintMismatchError  the index was built with another encoder
    └── IndexEngineError        OpenSearch refused or could not be reached (translated once, in store.py)
"""

from __future__ import annotations

from aisle.errors import AisleError

__all__ = [
    "AliasError",
    "CatalogError",
    "FingerprintMismatchError",
    "GateError",
    "IndexEngineError",
    "IndexerError",
    "RejectRateError",
]


class IndexerError(AisleError):
    """Something about indexing went wrong."""


class CatalogError(IndexerError):
    """The catalog file cannot be read at all (missing, unknown format)."""


class RejectRateError(IndexerError):
    """More rows were rejected than `--max-reject-rate` allows."""


class GateError(IndexerError):
    """A check before the alias swap failed; the alias still points where it did."""


class AliasError(IndexerError):
    """The alias is missing, or has nothing to roll back to."""


class FingerprintMismatchError(IndexerError):
    """The index's vectors come from another encoder than the one loaded."""


class IndexEngineError(IndexerError):
    """OpenSearch refused a request or could not be reached."""
