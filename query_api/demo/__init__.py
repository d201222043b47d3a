"""The demo page at `/`: one query ranked by `bm25`, `hybrid` and `personalized` side by side."""

from __future__ import annotations

from query_api.demo.routes import router
from query_api.demo.shoppers import Shopper, list_shoppers

__all__ = ["Shopper", "list_shoppers", "router"]
