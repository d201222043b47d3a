"""FastAPI dependencies: the settings, the search service and the API-key check.

They are `async def` because none of them waits on anything: FastAPI runs a plain `def` dependency in
its thread pool, a round trip per dependency per request that cost more CPU than the dependencies.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Request

from query_api.errors import UnauthorizedError
from query_api.metrics import ApiMetrics
from query_api.search import SearchService
from query_api.settings import QueryApiSettings

__all__ = ["MetricsDep", "SearchServiceDep", "SettingsDep", "require_api_key"]


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
    if settings.api_key and x_api_key != settings.api_key:
        raise UnauthorizedError("Missing or wrong API key: send it in the X-API-Key header.", field="X-API-Key")
