"""Where the commands write: results on stdout, progress and problems on stderr."""

from __future__ import annotations

import sys
from pathlib import Path

from rich.console import Console

__all__ = ["err", "out", "this_command"]

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def this_command() -> str:
    """How the user reached this CLI (often .venv/bin/aisle), so printed commands can be pasted."""
    invoked = Path(sys.argv[0])
    try:
        return str(invoked.resolve().relative_to(Path.cwd()))
    except ValueError:
        return invoked.name
