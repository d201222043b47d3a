"""Where the commands write: results on stdout, progress and problems on stderr."""

from __future__ import annotations

import logging
import os
import sys
import warnings
from pathlib import Path

from rich.console import Console

__all__ = ["err", "is_verbose", "out", "quiet_libraries", "this_command"]

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def this_command() -> str:
    """How the user reached this CLI (often .venv/bin/aisle), so printed commands can be pasted."""
    invoked = Path(sys.argv[0])
    try:
        return str(invoked.resolve().relative_to(Path.cwd()))
    except ValueError:
        return invoked.name


_quiet = False


def is_verbose() -> bool:
    """Whether the libraries may talk (`aisle --verbose`): commands pass it to those with a switch of their own."""
    return not _quiet


def quiet_libraries() -> None:
    """Keep the libraries' own chatter out of a command's output (`aisle --verbose` skips this).

    Hugging Face's progress bars ("Loading weights", "Writing model shards"), warnings raised through
    Python's `warnings`, and warnings libraries log without a handler of their own (onnxruntime's
    "consider pre-processing before quantization") are what a person running aisle cannot act on.
    aisle's own loggers keep reporting warnings.
    """
    global _quiet
    _quiet = True
    # Read when transformers / huggingface_hub are first imported, which commands do lazily after this.
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    warnings.simplefilter("ignore")
    # aisle's loggers keep the level they had from the root; the root (every library's) rises to errors.
    root = logging.getLogger()
    logging.getLogger("aisle").setLevel(root.getEffectiveLevel())
    root.setLevel(logging.ERROR)
