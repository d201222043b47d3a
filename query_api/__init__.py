"""REST search service: BM25 blended with personalized dense scores inside OpenSearch."""

from __future__ import annotations

__all__: list[str] = []
