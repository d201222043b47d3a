"""Errors of the query API, and the HTTP answer the API gives to every aisle error.

AisleError
└── QueryApiError                     (500, internal_error)
    ├── InvalidParameterError         (422, invalid_parameter)
    │   ├── UnknownFilterError        (422, unknown_filter_field)
    │   ├── MalformedPriceRangeError  (422, malformed_price_range)
    │   ├── QueryTooLongError         (422, query_too_long)
    │   └── MalformedBodyError        (422, malformed_body)
    ├── BodyTooLargeError             (413, body_too_large)
    ├── UnauthorizedError             (401, invalid_api_key)
    ├── NotFoundError                 (404, not_found)
    └── MethodNotAllowedError         (405, method_not_allowed)

FastAPI's request validation errors and Starlette's HTTP exceptions (unknown path, wrong method) are
translated into these at the app's edge, so every error answer has the same envelope.

OpenSearch's failures arrive as the kernel's `EngineError`s; `ENGINE_ANSWERS` is the API's choice of
status for each: 503 `search_unavailable` (with Retry-After) when OpenSearch is down, slow, failing or
refuses the API's credentials, 503 `index_not_ready` when the alias is missing, 500 `internal_error`
when it refused the request itself (a bug in aisle). `answer_for` finds an error's answer by its MRO,
the way Starlette finds a handler.
"""

from __future__ import annotations

from dataclasses import dataclass

from kernel.errors import (
    AisleError,
    EngineAuthError,
    EngineBusyError,
    EngineConflictError,
    EngineError,
    EngineNotFoundError,
    EngineRequestError,
    EngineUnreachableError,
    NodeNotRunningError,
)

__all__ = [
    "ENGINE_ANSWERS",
    "Answer",
    "BodyTooLargeError",
    "InvalidParameterError",
    "MalformedBodyError",
    "MalformedPriceRangeError",
    "MethodNotAllowedError",
    "NotFoundError",
    "QueryApiError",
    "QueryTooLongError",
    "UnauthorizedError",
    "UnknownFilterError",
    "answer_for",
]


class QueryApiError(AisleError):
    """The root of what the API refuses on its own: the one exception handler answers any of them."""

    status_code = 500
    code = "internal_error"

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidParameterError(QueryApiError):
    """A request parameter is out of bounds or malformed."""

    status_code = 422
    code = "invalid_parameter"


class UnknownFilterError(InvalidParameterError):
    """A filter names a field that cannot be filtered on."""

    code = "unknown_filter_field"


class MalformedPriceRangeError(InvalidParameterError):
    """A price range is not `min-max` with min ≤ max."""

    code = "malformed_price_range"


class QueryTooLongError(InvalidParameterError):
    """The query text is longer than allowed."""

    code = "query_too_long"


class MalformedBodyError(InvalidParameterError):
    """The request body is not a JSON object."""

    code = "malformed_body"


class BodyTooLargeError(QueryApiError):
    """The request body is larger than the API reads."""

    status_code = 413
    code = "body_too_large"


class NotFoundError(QueryApiError):
    """No such path."""

    status_code = 404
    code = "not_found"


class MethodNotAllowedError(QueryApiError):
    """The path exists, but not for this method."""

    status_code = 405
    code = "method_not_allowed"


class UnauthorizedError(QueryApiError):
    """The API key is missing or wrong."""

    status_code = 401
    code = "invalid_api_key"


@dataclass(frozen=True)
class Answer:
    """How the API answers an error: HTTP status, stable code, and whether a retry may help."""

    status: int
    code: str
    retry: bool = False


ENGINE_ANSWERS: dict[type[EngineError], Answer] = {
    EngineError: Answer(500, "internal_error"),
    EngineUnreachableError: Answer(503, "search_unavailable", retry=True),
    EngineBusyError: Answer(503, "search_unavailable", retry=True),
    EngineAuthError: Answer(503, "search_unavailable"),
    NodeNotRunningError: Answer(503, "search_unavailable", retry=True),
    EngineNotFoundError: Answer(503, "index_not_ready", retry=True),
    EngineConflictError: Answer(500, "internal_error"),
    EngineRequestError: Answer(500, "internal_error"),
}
_INTERNAL = Answer(500, "internal_error")


def answer_for(error: AisleError) -> Answer:
    """The answer to `error`: its own status if the API raised it, else the engine's by the nearest class."""
    if isinstance(error, QueryApiError):
        return Answer(error.status_code, error.code)
    return next((ENGINE_ANSWERS[c] for c in type(error).__mro__ if c in ENGINE_ANSWERS), _INTERNAL)
