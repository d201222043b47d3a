"""Two-tower product/query encoders with taxonomy hard negatives, and the user tower."""

from __future__ import annotations

__all__: list[str] = []
