"""`/docs` and `/redoc` served from the package (they work offline), and the limits in the OpenAPI document.

The Swagger UI and ReDoc assets come from the `fastapi-offline` wheel (PyPI), mounted at
`/docs-assets`; FastAPI's defaults load them from a CDN, which leaves the pages blank without internet.
The OpenAPI document states the limits the settings enforce (query length, page size), so a client
generated from it, or a fuzzer, knows them.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from query_api.settings import QueryApiSettings

__all__ = ["install_docs"]

ASSETS = "/docs-assets"


def install_docs(app: FastAPI, settings: QueryApiSettings) -> None:
    """Serve the interactive docs from local assets and publish the settings' limits in the schema."""
    assets = resources.files("fastapi_offline").joinpath("static")
    app.mount(ASSETS, StaticFiles(directory=str(assets)), name="docs-assets")

    @app.get("/docs", include_in_schema=False, tags=["docs"])
    def swagger() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title=f"{app.title} · docs",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon.png",
        )

    @app.get("/redoc", include_in_schema=False, tags=["docs"])
    def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url="/openapi.json",
            title=f"{app.title} · reference",
            redoc_js_url=f"{ASSETS}/redoc.standalone.js",
            redoc_favicon_url=f"{ASSETS}/favicon.png",
        )

    def schema() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            _state_limits(document, settings)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = schema  # type: ignore[method-assign]


def _state_limits(document: dict[str, Any], settings: QueryApiSettings) -> None:
    limits = {"q": {"maxLength": settings.max_query_chars}, "size": {"maximum": settings.max_size}}
    for parameter in document["paths"]["/search"]["get"]["parameters"]:
        parameter["schema"].update(limits.get(parameter["name"], {}))
    properties = document["components"]["schemas"]["SearchRequest"]["properties"]
    for name, limit in limits.items():
        properties[name].update(limit)
