"""The API answers every aisle error with a chosen status: its own errors by their class, the engine's by table."""

from __future__ import annotations

import pytest

from kernel.errors import AisleError, EngineError, EngineNotFoundError, EngineUnreachableError
from query_api.errors import ENGINE_ANSWERS, QueryApiError, UnknownFilterError, answer_for


def _subclasses(root: type) -> set[type]:
    found = set()
    for sub in root.__subclasses__():
        found |= {sub, *_subclasses(sub)}
    return found


def test_every_engine_error_has_an_explicit_answer() -> None:
    missing = {cls.__name__ for cls in _subclasses(EngineError) | {EngineError} if cls not in ENGINE_ANSWERS}
    assert not missing, f"EngineErrors the API answers only by a parent's choice: {sorted(missing)}"


@pytest.mark.parametrize(
    ("error", "status", "code", "retry"),
    [
        (EngineUnreachableError("down"), 503, "search_unavailable", True),
        (EngineNotFoundError("no alias"), 503, "index_not_ready", True),
        (UnknownFilterError("colour"), 422, "unknown_filter_field", False),
        (AisleError("some other aisle error"), 500, "internal_error", False),
    ],
)
def test_answers_follow_the_class(error: AisleError, status: int, code: str, retry: bool) -> None:
    answer = answer_for(error)
    assert (answer.status, answer.code, answer.retry) == (status, code, retry)


def test_a_new_engine_error_subclass_inherits_its_parents_answer() -> None:
    class Narrower(EngineUnreachableError):
        pass

    assert answer_for(Narrower("x")) == ENGINE_ANSWERS[EngineUnreachableError]


def test_api_errors_carry_their_own_status_and_code() -> None:
    for cls in _subclasses(QueryApiError) | {QueryApiError}:
        assert isinstance(cls.status_code, int) and cls.code, cls
