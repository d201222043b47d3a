"""The root of every error aisle raises on purpose.

    AisleError
    ├── aisle.opensearch.errors.EngineError   (installing, starting, reaching OpenSearch)
    ├── indexer.errors.IndexerError
    ├── query_api.errors.QueryApiError
    └── encoders.errors.EncoderError

The command line catches `AisleError` alone: anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

__all__ = ["AisleError"]


class AisleError(Exception):
    """An expected failure whose message names the bad value and how to fix it."""
