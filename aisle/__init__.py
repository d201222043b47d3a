"""The top floor: the `aisle` command and the jobs it runs.

The command line, `aisle up` (the quickstart), evaluation, the store simulator, and the managed
OpenSearch node (assembled from Maven Central). Everything here stands on `encoders`, `indexer`,
`query_api` and the `kernel`; nothing below imports from here.
"""

from __future__ import annotations

__all__: list[str] = []
