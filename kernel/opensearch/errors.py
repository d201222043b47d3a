"""The one place where opensearch-py's exceptions become aisle's errors.

Every OpenSearch call aisle makes runs inside `engine_call(client, action)`, which re-raises what
opensearch-py raised as one of the `EngineError`s of `kernel.errors`, with `raise ... from`. What a
package does with them (an HTTP status in the API, "the alias was not moved" in the indexer) is its
own choice, made on aisle's errors, never on opensearch-py's.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from opensearchpy import exceptions as opensearch_exceptions
from opensearchpy.helpers import errors as helper_exceptions

from kernel.errors import (
    EngineAuthError,
    EngineBusyError,
    EngineConflictError,
    EngineError,
    EngineNotFoundError,
    EngineRequestError,
    EngineUnreachableError,
)

__all__ = ["EXCEPTION_MAP", "engine_call", "translate"]

# Every exception opensearch-py raises, by its own class; the most specific class a raised exception
# has decides. A TransportError with status 429 or 5xx is EngineBusyError whatever its class.
EXCEPTION_MAP: dict[type[Exception], type[EngineError]] = {
    opensearch_exceptions.ImproperlyConfigured: EngineUnreachableError,
    opensearch_exceptions.OpenSearchException: EngineRequestError,
    opensearch_exceptions.SerializationError: EngineRequestError,
    opensearch_exceptions.TransportError: EngineRequestError,
    opensearch_exceptions.ConnectionError: EngineUnreachableError,
    opensearch_exceptions.SSLError: EngineUnreachableError,
    opensearch_exceptions.ConnectionTimeout: EngineUnreachableError,
    opensearch_exceptions.NotFoundError: EngineNotFoundError,
    opensearch_exceptions.ConflictError: EngineConflictError,
    opensearch_exceptions.RequestError: EngineRequestError,
    opensearch_exceptions.AuthenticationException: EngineAuthError,
    opensearch_exceptions.AuthorizationException: EngineAuthError,
    helper_exceptions.BulkIndexError: EngineRequestError,
    helper_exceptions.ScanError: EngineRequestError,
}


def _where(client: Any) -> str:
    try:
        host = client.transport.hosts[0]
        return f"{host.get('scheme', 'http')}://{host['host']}:{host['port']}"
    except (AttributeError, IndexError, KeyError, TypeError):
        return "the configured cluster"


def _status(exc: Exception) -> int | None:
    status = getattr(exc, "status_code", None)
    return status if isinstance(status, int) else None


def translate(exc: Exception, action: str, client: Any = None) -> EngineError:
    """The aisle error for an opensearch-py exception raised while doing `action`.

    Raises:
        TypeError: `exc` is not an exception opensearch-py raises (a bug: it should not reach here).
    """
    target = next((EXCEPTION_MAP[c] for c in type(exc).__mro__ if c in EXCEPTION_MAP), None)
    if target is None:
        raise TypeError(f"{type(exc).__name__} is not an opensearch-py exception") from exc
    status = _status(exc)
    if target is EngineRequestError and status is not None and (status == 429 or status >= 500):
        target = EngineBusyError
    detail = f"{getattr(exc, 'error', '') or exc}"
    where = _where(client)
    if target is EngineUnreachableError:
        message = (
            f"OpenSearch at {where} did not answer while {action} ({type(exc).__name__}: {detail}). Check that it "
            "runs (`aisle opensearch status`) and that AISLE_OPENSEARCH_URL, _USERNAME, _PASSWORD and _CA_CERTS "
            "are right."
        )
    elif target is EngineBusyError:
        message = f"OpenSearch at {where} is overloaded or failing (HTTP {status}) while {action}: {detail}."
    elif target is EngineNotFoundError:
        message = f"OpenSearch has no such index, alias or document while {action}: {detail}."
    elif target is EngineConflictError:
        message = f"OpenSearch refused {action}: it conflicts with the stored state (HTTP 409 {detail})."
    elif target is EngineAuthError:
        message = (
            f"OpenSearch at {where} refused aisle's credentials while {action} (HTTP {status}). "
            "Check AISLE_OPENSEARCH_USERNAME and AISLE_OPENSEARCH_PASSWORD."
        )
    else:
        info = getattr(exc, "info", None)
        message = f"OpenSearch refused {action}: HTTP {status or '-'} {detail}" + (f": {info}" if info else "")
    return target(message, status)


@contextlib.contextmanager
def engine_call(client: Any, action: str) -> Iterator[None]:
    """Run OpenSearch calls, re-raising opensearch-py's exceptions as aisle errors naming `action`."""
    try:
        yield
    except tuple(EXCEPTION_MAP) as exc:
        raise translate(exc, action, client) from exc
