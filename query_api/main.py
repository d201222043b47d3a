"""The FastAPI application: `create_app(settings)` wires OpenSearch, the encoder and the routes."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.routing import APIRoute
from opensearchpy import OpenSearch

from encoders import Encoder, get_encoder_settings, load_encoder
from kernel.errors import EngineError
from kernel.opensearch import get_connection_settings, make_client
from query_api.demo import router as demo_router
from query_api.docs import install_docs
from query_api.handlers import install_error_handling
from query_api.metrics import ApiMetrics
from query_api.middleware import BodyLimit, RequestLog
from query_api.routes import health, search
from query_api.search import ProfileCache, SearchBackend, SearchService
from query_api.search.ranking import RankingStage
from query_api.serving import ranking_stage, serving_settings, spelling_corrector
from query_api.settings import QueryApiSettings, get_settings

__all__ = ["create_app"]

log = logging.getLogger("aisle.api")


def _operation_id(route: APIRoute) -> str:
    return f"{route.tags[0]}-{route.name}"


def create_app(
    settings: QueryApiSettings | None = None,
    *,
    client: OpenSearch | None = None,
    encoder: Encoder | None = None,
    ranking: RankingStage | None = None,
) -> FastAPI:
    """The search API.

    Args:
        settings: API settings (default: from the environment).
        client: An OpenSearch client (default: from `AISLE_OPENSEARCH_*`).
        encoder: The query encoder (default: from `AISLE_ENCODER_*`).
        ranking: The second stage (default: the ranker and cross-encoder beside the encoder's model, if any).

    Settings the environment leaves unset come from `serving.json` beside the encoder's model, when
    training wrote one.
    """
    model_dir = get_encoder_settings().model_dir if encoder is None else encoder.model_dir
    settings = serving_settings(settings or get_settings(), model_dir)

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
        docs_url=None,
        redoc_url=None,
    )
    engine = get_connection_settings().model_copy(update={"timeout_s": settings.timeout_s})
    backend = SearchBackend(client or make_client(engine))
    encoder = encoder or load_encoder(get_encoder_settings())
    ranking = ranking or ranking_stage(settings, model_dir)
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
    spelling = spelling_corrector(settings, model_dir)
    app.state.search = SearchService(backend, encoder, profiles, settings, ranking, spelling)

    app.include_router(search.router)
    app.include_router(health.router)
    app.include_router(demo_router)
    install_docs(app, settings)
    install_error_handling(app, metrics)
    app.add_middleware(
        BodyLimit, max_bytes=settings.max_body_bytes, metrics=metrics, retry_after_s=settings.retry_after_s
    )
    app.add_middleware(RequestLog)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type", "X-API-Key", "X-Request-ID"],
        )
    return app
