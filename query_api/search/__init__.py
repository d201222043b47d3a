"""The search itself: query building, fusion, personalization, and the OpenSearch boundary."""

from __future__ import annotations

from query_api.search.backend import SearchBackend
from query_api.search.profiles import ProfileCache, UserProfile
from query_api.search.service import SearchService

__all__ = ["ProfileCache", "SearchBackend", "SearchService", "UserProfile"]
