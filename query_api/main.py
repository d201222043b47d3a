"""The FastAPI application: `create_app(settings)` wires OpenSearch, the encoder and the routes."""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from opensearchpy import OpenSearch
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from encoders import Encoder, get_encoder_settings, load_encoder
from kernel.errors import AisleError, EngineError
from kernel.opensearch import get_connection_settings, make_client
from query_api.demo import router as demo_router
from query_api.errors import (
    InvalidParameterError,
    MalformedPriceRangeError,
    QueryApiError,
    UnknownFilterError,
    answer_for,
)
from query_api.metrics import ApiMetrics
from query_api.routes import health, search
from query_api.search import ProfileCache, SearchBackend, SearchService
from query_api.settings import QueryApiSettings, get_settings

__all__ = ["create_app"]

log = logging.getLogger("aisle.api")


def _operation_id(route: APIRoute) -> str:
    return f"{route.tags[0]}-{route.name}"


def create_app(
    settings: QueryApiSettings | None = None, *, client: OpenSearch | None = None, encoder: Encoder | None = None
) -> FastAPI:
    """The search API.

    Args:
        settings: API settings (default: from the environment).
        client: An OpenSearch client (default: from `AISLE_OPENSEARCH_*`).
        encoder: The query encoder (default: from `AISLE_ENCODER_*`).
    """
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            app.state.search.prepare()
        except EngineError as exc:
            # Start anyway: /ready says why, and searches retry the set-up once OpenSearch is back.
            log.warning(json.dumps({"event": "startup_deferred", "reason": str(exc)}))
        yield

    app = FastAPI(
        title="aisle search API",
        version="0.1.0",
        description="Personalized hybrid product search: BM25 blended with dense scores inside OpenSearch.",
        generate_unique_id_function=_operation_id,
        lifespan=lifespan,
    )
    engine = get_connection_settings().model_copy(update={"timeout_s": settings.timeout_s})
    backend = SearchBackend(client or make_client(engine))
    encoder = encoder or load_encoder(get_encoder_settings())
    profiles = ProfileCache(backend, settings.users_index, settings.user_cache_ttl_s, settings.user_cache_size)
    metrics = ApiMetrics()
    metrics.watch_caches(
        {
            "query_vectors": lambda: encoder.query_cache_stats,
            "user_profiles": lambda: (profiles.hits, profiles.misses),
        }
    )
    app.state.settings = settings
    app.state.backend = backend
    app.state.encoder = encoder
    app.state.metrics = metrics
    app.state.search = SearchService(backend, encoder, profiles, settings)

    app.include_router(search.router)
    app.include_router(health.router)
    app.include_router(demo_router)
    _install_error_handling(app, metrics)
    app.add_middleware(RequestLog)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type", "X-API-Key", "X-Request-ID"],
        )
    return app


def _install_error_handling(app: FastAPI, metrics: ApiMetrics) -> None:
    def respond(request: Request, error: AisleError) -> JSONResponse:
        answer = answer_for(error)
        metrics.errors.labels(code=answer.code).inc()
        headers = {"Retry-After": str(app.state.settings.retry_after_s)} if answer.retry else {}
        field = error.field if isinstance(error, QueryApiError) else None
        body = {"error": {"code": answer.code, "message": str(error), "field": field}}
        return JSONResponse(body, status_code=answer.status, headers=headers)

    async def on_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, AisleError)
        return respond(request, exc)

    async def on_invalid(request: Request, exc: Exception) -> JSONResponse:
        # FastAPI's own validation errors speak the same language as ours.
        assert isinstance(exc, RequestValidationError)
        return respond(request, _as_api_error(exc))

    app.add_exception_handler(AisleError, on_error)
    app.add_exception_handler(RequestValidationError, on_invalid)


def _as_api_error(exc: RequestValidationError) -> QueryApiError:
    error = exc.errors()[0]
    loc = [str(part) for part in error["loc"] if part not in ("body", "query")]
    field = ".".join(loc) or "request"
    if error["type"] == "extra_forbidden" and loc[:1] == ["filters"]:
        return UnknownFilterError(
            f"Unknown filter {field}; filters are category, brand, price, availability.", field=field
        )
    if loc[:2] == ["filters", "price"]:
        return MalformedPriceRangeError(f"{field}: {error['msg']}.", field=field)
    if error["type"] == "extra_forbidden":
        return InvalidParameterError(f"Unknown field {field}.", field=field)
    return InvalidParameterError(f"{field}: {error['msg']}.", field=field)


class RequestLog:
    """Pure ASGI middleware: a request id on every response and one structured log line per request.

    (Starlette's `BaseHTTPMiddleware` costs a task and a response copy per request, which showed
    in the API's latency at concurrency 4.)
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, tagging the response and logging it."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        request_id = headers.get(b"x-request-id", b"").decode("latin-1") or uuid.uuid4().hex
        started = time.perf_counter()
        status = 500

        async def tagged(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode("latin-1"))]
            await send(message)

        try:
            await self.app(scope, receive, tagged)
        finally:
            log.info(
                json.dumps(
                    {
                        "request_id": request_id,
                        "method": scope["method"],
                        "path": scope["path"],
                        "status": status,
                        "ms": round((time.perf_counter() - started) * 1000, 2),
                    }
                )
            )
