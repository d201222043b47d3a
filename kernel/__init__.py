"""The ground floor every aisle package stands on.

The product schema, catalog reading and validation, the category tree, rejects, digests, the error
tree, the documents aisle stores in OpenSearch and the OpenSearch client, and the judged data
(queries, splits, events, metrics) that training, indexing and evaluation all read the same way.
Nothing here imports a package above it: `encoders`, `indexer` and `query_api` stand on it, and the
commands (`aisle`) on them.
"""

from __future__ import annotations

from kernel.errors import AisleError
from kernel.product import Availability, Product

__all__ = ["AisleError", "Availability", "Product"]
