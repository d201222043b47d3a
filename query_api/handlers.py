"""The app's one error answer: every failure, whoever raised it, leaves as the same JSON envelope.

`{"error": {"code": ..., "message": ..., "field": ...}}` with the status `query_api.errors.answer_for`
chooses. FastAPI's validation errors and Starlette's HTTP exceptions (an unknown path, a wrong method)
are translated into the API's own errors here first; anything else is a bug, answered as
`internal_error` (logged with its traceback, counted like every other error).
"""

from __future__ import annotations

import json
import logging
import re

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from kernel.errors import AisleError
from query_api.errors import (
    InvalidParameterError,
    MalformedBodyError,
    MalformedPriceRangeError,
    MethodNotAllowedError,
    NotFoundError,
    QueryApiError,
    UnknownFilterError,
    answer_for,
)
from query_api.metrics import ApiMetrics

__all__ = ["error_response", "install_error_handling", "validation_error"]

log = logging.getLogger("aisle.api")


def error_response(
    error: AisleError, metrics: ApiMetrics, retry_after_s: int, headers: dict[str, str] | None = None
) -> JSONResponse:
    """The envelope for `error`, counted by its code; an answer worth retrying says when (Retry-After)."""
    answer = answer_for(error)
    metrics.errors.labels(code=answer.code).inc()
    extra = {"Retry-After": str(retry_after_s)} if answer.retry else {}
    field = error.field if isinstance(error, QueryApiError) else None
    body = {"error": {"code": answer.code, "message": str(error), "field": field}}
    return JSONResponse(body, status_code=answer.status, headers={**extra, **(headers or {})})


def install_error_handling(app: FastAPI, metrics: ApiMetrics) -> None:
    """Answer every error with the envelope, counted by code; a 503 says when to retry."""

    def respond(request: Request, error: AisleError, headers: dict[str, str] | None = None) -> JSONResponse:
        return error_response(error, metrics, app.state.settings.retry_after_s, headers)

    async def on_aisle_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, AisleError)
        return respond(request, exc)

    async def on_invalid(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return respond(request, validation_error(exc))

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 405:
            allowed = _methods(app, request.url.path)
            error: QueryApiError = MethodNotAllowedError(
                f"{request.method} is not allowed on {request.url.path}; use {', '.join(allowed)}.", field="method"
            )
            return respond(request, error, {"Allow": ", ".join(allowed)})
        if exc.status_code == 404:
            error = NotFoundError(f"There is nothing at {request.url.path}; the API's paths are listed at /docs.")
        elif exc.status_code == 400:  # FastAPI's "There was an error parsing the body" (not UTF-8, say)
            error = MalformedBodyError(f"The body could not be read ({exc.detail}); send UTF-8 JSON.", field="body")
        else:
            error = QueryApiError(str(exc.detail))
            error.status_code = exc.status_code
            error.code = "bad_request" if exc.status_code < 500 else "internal_error"
        return respond(request, error)

    async def on_bug(request: Request, exc: Exception) -> JSONResponse:
        log.exception(json.dumps({"event": "unhandled_error", "path": request.url.path}))
        return respond(request, QueryApiError("The API failed unexpectedly; it is logged. Try again later."))

    app.add_exception_handler(AisleError, on_aisle_error)
    app.add_exception_handler(RequestValidationError, on_invalid)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_bug)


def _methods(app: FastAPI, path: str) -> list[str]:
    """Every method the OpenAPI document gives `path` (the `Allow` of a 405 lists them all)."""
    methods: set[str] = set()
    for template, operations in app.openapi()["paths"].items():
        if re.fullmatch(re.sub(r"\{[^/]+\}", "[^/]+", template), path):
            methods |= {method.upper() for method in operations}
    return sorted(methods)


def validation_error(exc: RequestValidationError) -> QueryApiError:
    """FastAPI's (or pydantic's) first validation error, as the API's own error for that field."""
    error = exc.errors()[0]
    loc = [str(part) for part in error["loc"] if part not in ("body", "query")]
    field = ".".join(loc) or "request"
    if error["type"] == "json_invalid":
        where = (error.get("ctx") or {}).get("error", "")
        return MalformedBodyError(
            f'The body is not valid JSON ({where}); send an object like {{"q": "drill"}}.', field="body"
        )
    if error["type"] in ("model_attributes_type", "dict_type") and field == "request":
        return MalformedBodyError('The body must be a JSON object like {"q": "drill"}.', field="body")
    if error["type"] == "extra_forbidden" and loc[:1] == ["filters"]:
        return UnknownFilterError(
            f"Unknown filter {field}; filters are category, brand, price, availability.", field=field
        )
    if loc[:1] == ["price"] or loc[:2] == ["filters", "price"]:
        return MalformedPriceRangeError(f"{field}: {error['msg']}.", field=field)
    if error["type"] == "extra_forbidden":
        return InvalidParameterError(f"Unknown field {field}.", field=field)
    return InvalidParameterError(f"{field}: {error['msg']}.", field=field)
