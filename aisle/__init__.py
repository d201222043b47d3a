"""aisle: personalized hybrid product search on OpenSearch.

This shared package holds only what the indexer, the query API and the encoders all stand on:
the root error, the `aisle` command line, and the OpenSearch engine (a managed local node or a
connection to an existing cluster).
"""

from __future__ import annotations

from aisle.errors import AisleError

__all__ = ["AisleError"]
