"""REST search service: BM25 blended with personalized dense scores inside OpenSearch."""

from __future__ import annotations

from query_api.errors import QueryApiError
from query_api.main import create_app
from query_api.schemas import SearchRequest, SearchResponse
from query_api.settings import QueryApiSettings, get_settings

__all__ = ["QueryApiError", "QueryApiSettings", "SearchRequest", "SearchResponse", "create_app", "get_settings"]
