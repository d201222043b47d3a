from __future__ import annotations
import __future__

import importlib
import types

import pytest


@pytest.mark.parametrize("name", ["aisle", "aisle.engine", "indexer", "query_api", "encoders"])
def test_package_exports_exactly_its_public_names(name: str) -> None:
    package = importlib.import_module(name)
    public = sorted(
        n
        for n, v in vars(package).items()
        if not n.startswith("_") and not isinstance(v, types.ModuleType | __future__._Feature)
    )
    assert package.__all__ == public
