"""Errors of the indexer.

AisleError
└── IndexerError
    ├── RejectRateError         too many rows were rejected; nothing went live
    ├── GateError               a pre-swap gate failed; the alias did not move
    ├── AliasError              the alias is missing, or has no version to go to
    │   ├── AliasBusyError      another process holds the alias's lease (a build, update, rollback)
    │   └── LeaseLostError      this process's lease ran out and another took it: it changes nothing
    ├── FingerprintMismatchError  the index was built with another encoder
    └── DistributedLoadError    the Ray load could not finish; the alias did not move

OpenSearch's own failures are the kernel's `EngineError`s (kernel/errors.py); a catalog that
cannot be read at all is the kernel's `CatalogError`.
"""

from __future__ import annotations

from pathlib import Path

from kernel.errors import AisleError

__all__ = [
    "AliasBusyError",
    "AliasError",
    "DistributedLoadError",
    "FingerprintMismatchError",
    "GateError",
    "IndexerError",
    "LeaseLostError",
    "RejectRateError",
]


class IndexerError(AisleError):
    """Something about indexing went wrong."""


class RejectRateError(IndexerError):
    """More rows were rejected than `--max-reject-rate` allows.

    Args:
        message: What was rejected and what to do.
        rejects_path: The file listing each rejected row with its reason (None: nothing was read).
    """

    def __init__(self, message: str, rejects_path: Path | None = None) -> None:
        super().__init__(message)
        self.rejects_path = rejects_path


class GateError(IndexerError):
    """A check before the alias swap failed; the alias still points where it did."""


class AliasError(IndexerError):
    """The alias is missing, or has nothing to roll back to."""


class AliasBusyError(AliasError):
    """Another live process holds the alias's lease."""


class LeaseLostError(AliasError):
    """This process's lease on the alias ran out and another process took it over."""


class FingerprintMismatchError(IndexerError):
    """The index's vectors come from another encoder than the one loaded."""


class DistributedLoadError(IndexerError):
    """The load on Ray could not finish (a worker kept failing, the cluster went away); nothing went live."""
