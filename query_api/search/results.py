"""What OpenSearch answers to a search, as a small typed result (pyvespa's `VespaQueryResponse` in spirit)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kernel.documents.products import hit_product

__all__ = ["EngineHit", "EngineResult"]


@dataclass(frozen=True)
class EngineHit:
    """One hit: the product id, its score, and its fields (doc values as product attributes, or `_source`)."""

    id: str
    score: float
    source: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_json(cls, hit: dict[str, Any]) -> EngineHit:
        """A hit of a `_search` answer; doc-value fields win over `_source`, `fields.id` over `_id`."""
        fields = hit.get("fields")
        source = hit_product(fields) if fields else hit.get("_source") or {}
        product_id = fields["id"][0] if fields and fields.get("id") else hit.get("_id")
        return cls(str(product_id), float(hit.get("_score") or 0.0), source)


@dataclass(frozen=True)
class EngineResult:
    """A `_search` answer: the hits, how many matched, and the raw aggregations."""

    hits: list[EngineHit]
    total: int
    aggregations: dict[str, Any]

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> EngineResult:
        """Parse OpenSearch's JSON."""
        hits = body.get("hits", {})
        total = hits.get("total", {})
        return cls(
            [EngineHit.from_json(h) for h in hits.get("hits", [])],
            int(total.get("value", 0) if isinstance(total, dict) else total),
            body.get("aggregations", {}),
        )

    def ranked(self) -> list[tuple[str, float]]:
        """(id, score) of every hit, in order."""
        return [(hit.id, hit.score) for hit in self.hits]
