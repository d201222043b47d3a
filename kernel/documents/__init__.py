"""What aisle stores in OpenSearch: the index bodies, and the documents written and read against them."""

from __future__ import annotations

from kernel.documents.mappings import MissingPlaceholderError, load_mapping

__all__ = ["MissingPlaceholderError", "load_mapping"]
