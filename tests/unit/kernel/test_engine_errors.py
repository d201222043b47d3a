"""Every exception opensearch-py raises becomes one aisle error, in one place (httpx's mapping test)."""

from __future__ import annotations

import pytest
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
from kernel.opensearch import engine_call, make_client
from kernel.opensearch.errors import EXCEPTION_MAP
from kernel.opensearch.settings import ConnectionSettings

# opensearch-py's DSL layer (opensearchpy.helpers / Search objects) is not used: aisle writes its request
# bodies as dicts. Warnings are not raised.
NOT_RAISED_HERE = {
    opensearch_exceptions.OpenSearchDslException,
    opensearch_exceptions.UnknownDslObject,
    opensearch_exceptions.ValidationException,
    opensearch_exceptions.IllegalOperation,
}


def _exception_classes() -> set[type[Exception]]:
    found = set()
    for module in (opensearch_exceptions, helper_exceptions):
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, Exception) and not issubclass(value, Warning):
                found.add(value)
    return found - NOT_RAISED_HERE


def test_every_opensearch_py_exception_is_mapped() -> None:
    unmapped = {cls.__name__ for cls in _exception_classes() if cls not in EXCEPTION_MAP}
    assert not unmapped, f"opensearch-py exceptions without an aisle error: {sorted(unmapped)}"


CASES = [
    (opensearch_exceptions.ConnectionError("N/A", "refused", OSError("refused")), EngineUnreachableError),
    (opensearch_exceptions.ConnectionTimeout("TIMEOUT", "timed out", OSError()), EngineUnreachableError),
    (opensearch_exceptions.SSLError("N/A", "bad certificate", OSError()), EngineUnreachableError),
    (opensearch_exceptions.ImproperlyConfigured("no ca_certs"), EngineUnreachableError),
    (opensearch_exceptions.NotFoundError(404, "index_not_found_exception", {}), EngineNotFoundError),
    (opensearch_exceptions.ConflictError(409, "version_conflict_engine_exception", {}), EngineConflictError),
    (opensearch_exceptions.AuthenticationException(401, "unauthorized", {}), EngineAuthError),
    (opensearch_exceptions.AuthorizationException(403, "forbidden", {}), EngineAuthError),
    (opensearch_exceptions.RequestError(400, "parsing_exception", {}), EngineRequestError),
    (opensearch_exceptions.TransportError(429, "too_many_requests", {}), EngineBusyError),
    (opensearch_exceptions.TransportError(503, "unavailable", {}), EngineBusyError),
    (opensearch_exceptions.TransportError(413, "content too long", {}), EngineRequestError),
    (opensearch_exceptions.SerializationError("not JSON"), EngineRequestError),
    (helper_exceptions.BulkIndexError("1 document(s) failed", []), EngineRequestError),
    (helper_exceptions.ScanError("scroll", "gone"), EngineRequestError),
]


@pytest.mark.parametrize(("raised", "expected"), CASES, ids=[type(c[0]).__name__ for c in CASES])
def test_each_exception_becomes_its_aisle_error_with_the_cause_kept(raised: Exception, expected: type) -> None:
    with pytest.raises(EngineError) as caught, engine_call(None, "doing a thing"):
        raise raised
    assert type(caught.value) is expected
    assert caught.value.__cause__ is raised
    assert "doing a thing" in str(caught.value)


def test_the_cases_cover_every_mapped_class() -> None:
    assert {type(raised) for raised, _ in CASES} >= set(EXCEPTION_MAP) - {
        opensearch_exceptions.OpenSearchException,
        opensearch_exceptions.TransportError,
    }
    assert opensearch_exceptions.TransportError in {type(raised) for raised, _ in CASES}


def test_an_unreachable_cluster_is_named_with_its_url() -> None:
    client = make_client(ConnectionSettings(), "http://127.0.0.1:9")
    with pytest.raises(EngineUnreachableError, match=r"OpenSearch at http://127.0.0.1:9 did not answer while x"):
        with engine_call(client, "x"):
            raise opensearch_exceptions.ConnectionError("N/A", "refused", OSError())


def test_other_exceptions_pass_through_untouched() -> None:
    with pytest.raises(KeyError), engine_call(None, "x"):
        raise KeyError("a bug stays a bug")
