"""The serving image has no torch: the CLI, indexer and API must import without it."""

from __future__ import annotations

import subprocess
import sys

BLOCK_TORCH = """
import sys
for name in ("torch", "sentence_transformers"):
    sys.modules[name] = None  # any `import torch` now raises ImportError
import aisle.cli, indexer, query_api
"""


def test_the_cli_indexer_and_api_import_without_torch() -> None:
    done = subprocess.run([sys.executable, "-c", BLOCK_TORCH], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
