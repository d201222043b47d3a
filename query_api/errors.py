"""Errors of the query API; each carries its HTTP status and a stable code.

AisleError
└── QueryApiError                     (500, internal_error)
    ├── InvalidParameterError         (422, invalid_parameter)
    │   ├── UnknownFilterError        (422, unknown_filter_field)
    │   ├── MalformedPriceRangeError  (422, malformed_price_range)
    │   └── QueryTooLongError         (422, query_too_long)
    ├── UnauthorizedError             (401, invalid_api_key)
    └── SearchUnavailableError        (503, search_unavailable; sent with Retry-After)
        └── IndexNotReadyError        (503, index_not_ready)
"""

from __future__ import annotations

from aisle.errors import AisleError

__all__ = [
    "IndexNotReadyError",
    "InvalidParameterError",
    "MalformedPriceRangeError",
    "QueryApiError",
    "QueryTooLongError",
    "SearchUnavailableError",
    "UnauthorizedError",
    "UnknownFilterError",
]


class QueryApiError(AisleError):
    """The root of the API's errors: the one exception handler turns any of them into a JSON answer."""

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


class UnauthorizedError(QueryApiError):
    """The API key is missing or wrong."""

    status_code = 401
    code = "invalid_api_key"


class SearchUnavailableError(QueryApiError):
    """OpenSearch is down, slow or refusing; the client should retry later."""

    status_code = 503
    code = "search_unavailable"


class IndexNotReadyError(SearchUnavailableError):
    """The alias is missing or was built with another encoder."""

    code = "index_not_ready"
