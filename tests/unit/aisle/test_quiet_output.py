"""A command's output is aisle's own: the libraries' progress bars and warnings appear only with --verbose."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CHATTER = ["Loading weights", "Writing model shards", "pre-processing before quantization"]


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
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=True)
    return done.stdout + done.stderr


def test_export_prints_only_what_it_did_unless_verbose(tmp_path: Path) -> None:
    quiet = _export(tmp_path / "quiet")
    assert "exported all-MiniLM-L6-v2" in quiet
    assert [c for c in CHATTER if c in quiet] == []
    verbose = _export(tmp_path / "verbose", "--verbose")
    assert [c for c in CHATTER if c in verbose] == CHATTER  # the same run shows them when asked
