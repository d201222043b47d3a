"""The `aisle` command line: one module per group of commands, assembled in `app.py`."""

from __future__ import annotations

from aisle.cli.app import app, main

__all__ = ["app", "main"]
