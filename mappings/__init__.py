"""Versioned index mappings, kept as JSON files and loaded by name."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

__all__ = ["load_mapping"]


def load_mapping(name: str) -> dict[str, Any]:
    """The index body (settings + mappings) stored as `mappings/<name>.json`, e.g. `sample.v1`."""
    text = resources.files(__name__).joinpath(f"{name}.json").read_text(encoding="utf-8")
    body: dict[str, Any] = json.loads(text)
    return body
