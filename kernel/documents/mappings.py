"""Versioned index bodies (settings + mappings), kept as JSON beside this module and filled in by code.

A value written as `"{{name}}"` in a mapping file is a placeholder: `load_mapping` replaces it with
the value given for `name` (any JSON type), and refuses to return a body with one left unfilled.
"""

from __future__ import annotations

import hashlib
import json
import re
from importlib import resources
from typing import Any

__all__ = ["MissingPlaceholderError", "load_mapping", "mapping_digest"]

_PLACEHOLDER = re.compile(r"^\{\{(\w+)\}\}$")


class MissingPlaceholderError(KeyError):
    """A mapping placeholder was given no value."""


def _text(name: str) -> str:
    return resources.files("kernel.documents").joinpath(f"{name}.json").read_text(encoding="utf-8")


def mapping_digest(name: str) -> str:
    """SHA-256 of the mapping file `name`: an index built from an edited file is not current."""
    return hashlib.sha256(_text(name).encode()).hexdigest()


def load_mapping(name: str, **values: Any) -> dict[str, Any]:
    """The index body stored as `mappings/<name>.json`, with its placeholders filled from `values`.

    Raises:
        MissingPlaceholderError: a placeholder has no value in `values`.
    """
    body: dict[str, Any] = _fill(json.loads(_text(name)), values, name)
    return body


def _fill(node: Any, values: dict[str, Any], name: str) -> Any:
    if isinstance(node, dict):
        return {k: _fill(v, values, name) for k, v in node.items()}
    if isinstance(node, list):
        return [_fill(v, values, name) for v in node]
    if isinstance(node, str) and (match := _PLACEHOLDER.match(node)):
        if match.group(1) not in values:
            raise MissingPlaceholderError(f"mapping {name} needs a value for {{{{{match.group(1)}}}}}")
        return values[match.group(1)]
    return node
