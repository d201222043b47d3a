"""A command's output is aisle's own: the libraries' progress bars and warnings appear only with --verbose."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

CHATTER = ["Loading weights", "Writing model shards", "pre-processing before quantization"]
# Quieting sets these for the process it runs in; a test that ran the CLI in this one left them here.
SET_BY_QUIETING = {"HF_HUB_DISABLE_PROGRESS_BARS", "TRANSFORMERS_VERBOSITY"}


def _export(out: Path, *flags: str) -> str:
    # A process of its own: quieting changes process-wide logging and environment.
    command = [
        sys.executable,
        "-c",
        "from aisle.cli import main; main()",
        *flags,
        "encoders",
        "export",
        "--out",
        str(out),
    ]
    env = {k: v for k, v in os.environ.items() if k not in SET_BY_QUIETING}
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=True, env=env)
    return done.stdout + done.stderr


def test_export_prints_only_what_it_did_unless_verbose(tmp_path: Path) -> None:
    quiet = _export(tmp_path / "quiet")
    assert "exported all-MiniLM-L6-v2" in quiet
    assert [c for c in CHATTER if c in quiet] == []
    verbose = _export(tmp_path / "verbose", "--verbose")
    assert [c for c in CHATTER if c in verbose] == CHATTER  # the same run shows them when asked
