"""The two floors hold: the kernel imports no package above it, the leaves only the kernel (and the
encoders), and nothing imports the commands (`aisle`)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.support.layers import ALLOWED, package_imports


def test_no_package_imports_upward_or_sideways() -> None:
    broken = sorted(
        f"{module} imports {target}" for module, source, target in package_imports() if target not in ALLOWED[source]
    )
    assert not broken, "imports against the floors:\n" + "\n".join(broken)


def test_the_layer_check_sees_a_new_upward_import(tmp_path: Path) -> None:
    (tmp_path / "kernel").mkdir()
    (tmp_path / "kernel" / "bad.py").write_text("def f():\n    from indexer.store import IndexStore\n")
    (tmp_path / "indexer").mkdir()
    (tmp_path / "indexer" / "fine.py").write_text("import kernel.product\n")
    found = package_imports(tmp_path, ("kernel", "indexer"))
    assert [(m, t) for m, s, t in found if t not in ALLOWED[s]] == [("kernel.bad", "indexer")]


def _loaded_after(code: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys\nprint('\\n'.join(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    )
    return set(done.stdout.split())


def test_the_serving_code_loads_nothing_of_the_commands() -> None:
    loaded = _loaded_after("import query_api")
    assert not {m for m in loaded if m == "aisle" or m.startswith("aisle.")}


def test_the_cli_does_not_load_node_management_until_a_node_command_runs() -> None:
    loaded = _loaded_after("import aisle.cli")
    assert not {m for m in loaded if m.startswith(("aisle.engine", "aisle.quickstart"))}
