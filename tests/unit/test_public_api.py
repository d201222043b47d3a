"""Each package's face exports exactly its public names, sorted (httpx's exported-members test), for every
package of the tree: one added later is covered without touching this test."""

from __future__ import annotations
import __future__

import importlib
import pkgutil
import types

import pytest

TOP = ["kernel", "encoders", "indexer", "query_api", "aisle"]


def _packages() -> list[str]:
    found = []
    for top in TOP:
        found.append(top)
        package = importlib.import_module(top)
        found += [m.name for m in pkgutil.walk_packages(package.__path__, f"{top}.") if m.ispkg]
    return sorted(found)


def test_every_package_is_found() -> None:
    assert {"kernel.opensearch", "kernel.data", "encoders.samplers", "query_api.search", "aisle.cli"} <= set(
        _packages()
    )


@pytest.mark.parametrize("name", _packages())
def test_package_exports_exactly_its_public_names(name: str) -> None:
    package = importlib.import_module(name)
    public = sorted(
        n
        for n, v in vars(package).items()
        if not n.startswith("_") and not isinstance(v, types.ModuleType | __future__._Feature)
    )
    assert package.__all__ == public
