"""`python -m aisle.cli`: the same as the `aisle` command."""

from __future__ import annotations

from aisle.cli.app import main

main()
