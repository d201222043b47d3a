"""The root of every error aisle raises on purpose, and the kernel's own errors.

    AisleError
    ├── CatalogError                 a catalog file cannot be read at all (missing, unknown format, broken stream)
    ├── DataError                    judgments, events, profiles or a taxonomy file cannot be used as given
    │   └── TaxonomyError            a taxonomy file or category path is malformed
    ├── OutputError                  a file or folder aisle must write cannot be written
    ├── EngineError                  OpenSearch could not do what was asked (kernel.opensearch.errors maps
    │   │                            every opensearch-py exception onto one of these, in one place)
    │   ├── EngineUnreachableError   no answer: refused connection, timeout, TLS or client set-up failure
    │   ├── EngineBusyError          429 or 5xx: overloaded or failing; worth retrying later
    │   ├── EngineNotFoundError      the index, alias or document does not exist
    │   ├── EngineConflictError      a write conflicted with another (409)
    │   ├── EngineAuthError          the credentials were refused (401, 403)
    │   ├── EngineRequestError       OpenSearch refused the request (another 4xx), or it could not be encoded
    │   └── NodeNotRunningError      no cluster URL is configured and the managed node is not running
    ├── encoders.errors.EncoderError     loading, exporting and training encoders
    ├── indexer.errors.IndexerError      building and switching indices
    ├── query_api.errors.QueryApiError   what the search API refuses on its own (bad parameters, API key)
    └── aisle.errors                     the commands: NodeError (installing and starting OpenSearch),
                                         ApiStartError, EvalGateError

Each package's `errors.py` draws its own part of the tree. The command line catches `AisleError` alone:
anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

__all__ = [
    "AisleError",
    "CatalogError",
    "DataError",
    "EngineAuthError",
    "EngineBusyError",
    "EngineConflictError",
    "EngineError",
    "EngineNotFoundError",
    "EngineRequestError",
    "EngineUnreachableError",
    "NodeNotRunningError",
    "OutputError",
    "TaxonomyError",
]


class AisleError(Exception):
    """An expected failure whose message names the bad value and how to fix it."""


class CatalogError(AisleError):
    """The catalog file cannot be read at all (missing, unknown format, truncated or corrupt stream)."""


class DataError(AisleError):
    """Judgments, events, profiles or another input file cannot be used as given."""


class TaxonomyError(DataError):
    """A taxonomy source is malformed."""


class OutputError(AisleError):
    """A file or folder aisle must write (rejects, an export) cannot be written."""


class EngineError(AisleError):
    """OpenSearch could not do what was asked.

    Args:
        message: What failed and how to fix it.
        status: The HTTP status OpenSearch answered, when it answered at all.
    """

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class EngineUnreachableError(EngineError):
    """OpenSearch did not answer: the connection was refused, timed out, or TLS failed."""


class EngineBusyError(EngineError):
    """OpenSearch answered 429 or 5xx: it is overloaded or failing, and a retry may succeed."""


class EngineNotFoundError(EngineError):
    """The index, alias or document does not exist."""


class EngineConflictError(EngineError):
    """A write conflicted with the stored state (HTTP 409): the document exists, or its version moved."""


class EngineAuthError(EngineError):
    """OpenSearch refused the credentials (HTTP 401 or 403)."""


class EngineRequestError(EngineError):
    """OpenSearch refused the request (another 4xx), or the request could not be encoded."""


class NodeNotRunningError(EngineError):
    """No cluster URL is configured and the managed node is not running."""
