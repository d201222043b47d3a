"""Every aisle error is defined in an `errors.py` whose docstring draws it in the tree."""

from __future__ import annotations

import importlib
import sys

import pytest

from kernel.errors import AisleError

PACKAGES = ["kernel", "encoders", "indexer", "query_api", "aisle"]


def _subclasses(root: type) -> set[type]:
    found = set()
    for sub in root.__subclasses__():
        found |= {sub, *_subclasses(sub)}
    return found


@pytest.fixture(scope="module")
def error_classes() -> set[type]:
    for package in PACKAGES:
        importlib.import_module(f"{package}.errors")
    return {cls for cls in _subclasses(AisleError) if cls.__module__.split(".")[0] in PACKAGES}


def test_every_error_lives_in_an_errors_module(error_classes: set[type]) -> None:
    strays = sorted(f"{c.__module__}.{c.__name__}" for c in error_classes if not c.__module__.endswith(".errors"))
    assert not strays, f"errors defined outside an errors.py: {strays}"


def test_every_error_is_drawn_in_its_modules_tree(error_classes: set[type]) -> None:
    undrawn = sorted(
        f"{c.__module__}.{c.__name__}"
        for c in error_classes
        if c.__name__ not in (sys.modules[c.__module__].__doc__ or "")
    )
    assert not undrawn, f"errors missing from their module's docstring tree: {undrawn}"


def test_the_root_tree_names_every_packages_root() -> None:
    import kernel.errors

    for root in ("EncoderError", "IndexerError", "QueryApiError", "NodeError", "ApiStartError", "EvalGateError"):
        assert root in (kernel.errors.__doc__ or ""), root
