"""FastAPI dependencies: the settings, the search service and the API-key check.

They are `async def` because none of them waits on anything: FastAPI runs a plain `def` dependency in
its thread pool, a round trip per dependency per request that cost more CPU than the dependencies.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Header, Request

from query_api.errors import UnauthorizedError
from query_api.metrics import ApiMetrics
from query_api.search import SearchService
from query_api.settings import QueryApiSettings

__all__ = ["MetricsDep", "SearchServiceDep", "SettingsDep", "require_api_key", "require_api_key_for_metrics"]


async def get_settings(request: Request) -> QueryApiSettings:
    """The settings the app was created with."""
    settings: QueryApiSettings = request.app.state.settings
    return settings


async def get_search_service(request: Request) -> SearchService:
    """The app's search service."""
    service: SearchService = request.app.state.search
    return service


async def get_metrics(request: Request) -> ApiMetrics:
    """The app's metrics."""
    metrics: ApiMetrics = request.app.state.metrics
    return metrics


SettingsDep = Annotated[QueryApiSettings, Depends(get_settings)]
SearchServiceDep = Annotated[SearchService, Depends(get_search_service)]
MetricsDep = Annotated[ApiMetrics, Depends(get_metrics)]


async def require_api_key(settings: SettingsDep, x_api_key: Annotated[str | None, Header()] = None) -> None:
    """When an API key is configured, the request must carry it in X-API-Key."""
    # Compared in constant time, so the answer's timing says nothing about how much of a guess was right.
    if settings.api_key and not hmac.compare_digest((x_api_key or "").encode(), settings.api_key.encode()):
        raise UnauthorizedError("Missing or wrong API key: send it in the X-API-Key header.", field="X-API-Key")


async def require_api_key_for_metrics(settings: SettingsDep, x_api_key: Annotated[str | None, Header()] = None) -> None:
    """`/metrics` needs the API key only when `AISLE_API_METRICS_NEED_KEY` says so (scrapers rarely send one)."""
    if settings.metrics_need_key:
        await require_api_key(settings, x_api_key)
