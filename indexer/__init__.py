"""Catalog → OpenSearch: validated rows, BM25 text fields and k-NN vectors, blue/green by alias."""

from __future__ import annotations

__all__: list[str] = []
