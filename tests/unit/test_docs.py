"""The documentation site builds with --strict, and --strict is what catches a broken link."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _build(root: Path, out: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(root / "mkdocs.yml"), "-d", str(out)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def test_the_docs_site_builds_strictly(tmp_path: Path) -> None:
    built = _build(ROOT, tmp_path / "site")
    assert built.returncode == 0, built.stderr
    assert (tmp_path / "site" / "ranking" / "index.html").is_file()


def test_a_link_to_a_missing_anchor_fails_the_build(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "docs", tmp_path / "docs")
    shutil.copy(ROOT / "mkdocs.yml", tmp_path / "mkdocs.yml")
    with (tmp_path / "docs" / "cli.md").open("a") as page:
        page.write("\nSee [the node](node.md#no-such-section).\n")
    built = _build(tmp_path, tmp_path / "site")
    assert built.returncode != 0
    assert "no-such-section" in built.stderr


def test_the_readme_is_a_guide_that_links_into_the_docs() -> None:
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= 200
    linked = {part.split(")")[0].split("#")[0] for part in readme.split("](docs/")[1:]}
    assert linked, "the README links into docs/"
    missing = sorted(page for page in linked if not (ROOT / "docs" / page).is_file())
    assert not missing, f"README links to docs pages that do not exist: {missing}"
