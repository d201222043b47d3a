"""Reproductions as data: every number the docs claim, with the command that makes it (pyserini-style).

`docs/reproductions.yaml` lists runs. A run has one command, the result file it writes, the copy of
that file the docs cite (committed under `docs/results/`), the dataset it read (with its SHA-256),
the machine and date it was measured on, and its claims: a value in the result file (a dotted path;
`[name=value]` picks an item of a list), the expected value and a tolerance, and where it appears in a
generated table. `aisle repro` reruns runs and says OK or FAIL per claim; `aisle repro --tables`
rewrites every table in the docs between its markers from the committed results, and a unit test
fails when a committed table differs.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from aisle.errors import ReproError

__all__ = [
    "Claim",
    "ClaimResult",
    "Run",
    "load_runs",
    "regenerate_tables",
    "render_table",
    "rerun",
]

ROOT = Path(__file__).resolve().parents[1]
REPRODUCTIONS = ROOT / "docs" / "reproductions.yaml"
_MARKER = re.compile(r"<!-- repro:table (?P<name>[\w-]+) -->\n.*?<!-- /repro:table -->", re.S)


@dataclass(frozen=True)
class Claim:
    """One number: where it is in the result file, what it should be, and where the docs show it."""

    metric: str
    expected: float
    tolerance: float
    table: str | None = None
    row: str | None = None
    column: str | None = None
    format: str = "{:.4f}"

    def value_in(self, results: dict[str, Any]) -> float:
        """The claimed value in a result file's JSON.

        A dotted path; a key may hold dots (the longest match wins). In a list, `[name=value,…]` picks the
        one object whose fields have those values, e.g. `paired_tests[a=ltr,b=bm25,metric=ndcg@10].p_value`.
        """
        node: Any = results
        rest = self.metric
        while rest:
            if isinstance(node, list):
                node, rest = self._pick(node, rest)
                continue
            if not isinstance(node, dict):
                raise ReproError(f"{self.metric}: {rest!r} is below a value, not inside an object")
            key = next((k for k in sorted(node, key=len, reverse=True) if _starts_with_key(rest, k)), None)
            if key is None:
                raise ReproError(f"{self.metric}: no key {rest.split('.')[0]!r} in the result file")
            node, rest = node[key], rest[len(key) :].removeprefix(".")
        return float(node)

    def _pick(self, items: list[Any], rest: str) -> tuple[Any, str]:
        selector, bracket, after = rest.removeprefix("[").partition("]")
        if not rest.startswith("[") or not bracket:
            raise ReproError(f"{self.metric}: {rest!r} is inside a list: pick an item with [name=value,…]")
        wanted = {name: value for name, _, value in (part.partition("=") for part in selector.split(","))}
        found = [i for i in items if isinstance(i, dict) and all(str(i.get(k)) == v for k, v in wanted.items())]
        if len(found) != 1:
            raise ReproError(f"{self.metric}: [{selector}] matches {len(found)} items of the list, not one")
        return found[0], after.removeprefix(".")


@dataclass(frozen=True)
class Run:
    """One command and the claims its result file backs."""

    name: str
    command: str
    writes: str
    committed: Path
    dataset: list[dict[str, str]]
    machine: str
    date: str
    claims: list[Claim]
    fast: bool = False
    needs: list[str] = field(default_factory=list)

    def committed_results(self) -> dict[str, Any]:
        """The result file the docs cite."""
        if not self.committed.is_file():
            raise ReproError(f"{self.name}: the committed result {self.committed} is missing")
        loaded: dict[str, Any] = json.loads(self.committed.read_text())
        return loaded


@dataclass(frozen=True)
class ClaimResult:
    """A rerun claim: what was measured against what was expected."""

    run: str
    claim: Claim
    measured: float

    @property
    def ok(self) -> bool:
        """Whether the measured value is within the tolerance of the expected one."""
        return abs(self.measured - self.claim.expected) <= self.claim.tolerance


def _starts_with_key(path: str, key: str) -> bool:
    return path == key or path.startswith((f"{key}.", f"{key}["))


def load_runs(path: Path = REPRODUCTIONS) -> list[Run]:
    """The runs of a reproductions file.

    Raises:
        ReproError: the file is not a list of runs with their required fields.
    """
    raw = yaml.safe_load(path.read_text())
    runs = []
    for entry in raw.get("runs", []) if isinstance(raw, dict) else []:
        try:
            claims = [Claim(**c) for c in entry.pop("claims")]
            runs.append(Run(**{**entry, "committed": path.parent.parent / entry["committed"], "claims": claims}))
        except (KeyError, TypeError) as exc:
            raise ReproError(f"{path}: entry {entry.get('name', '?')} is malformed ({exc})") from exc
    if not runs:
        raise ReproError(f"{path} lists no runs")
    names = [r.name for r in runs]
    if len(set(names)) != len(names):
        raise ReproError(f"{path}: run names repeat")
    return runs


def _check_dataset(run: Run, data_dir: Path) -> None:
    for item in run.dataset:
        file = data_dir / item["path"]
        if not file.is_file():
            raise ReproError(f"{run.name}: its dataset {file} is missing (set AISLE_DATA_DIR)")
        digest = hashlib.sha256(file.read_bytes()).hexdigest()
        if digest != item["sha256"]:
            raise ReproError(f"{run.name}: {file} is not the data it was measured on (SHA-256 {digest[:12]}…)")


def rerun(run: Run, data_dir: Path, *, dry_run: bool = False) -> list[ClaimResult] | str:
    """Run `run`'s command and check its claims; with `dry_run`, only the command it would run.

    Raises:
        ReproError: the dataset differs from the one measured, or the command failed.
    """
    _check_dataset(run, data_dir)
    with tempfile.TemporaryDirectory(prefix=f"repro-{run.name}-") as out:
        command = run.command.replace("{out}", out)
        if dry_run:
            return command
        argv, env = _argv(command, {**os.environ, "AISLE_DATA_DIR": str(data_dir)})
        done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            tail = "\n".join(done.stderr.strip().splitlines()[-5:])
            raise ReproError(f"{run.name}: `{command}` exited {done.returncode}:\n{tail}")
        written = Path(run.writes.replace("{out}", out))
        written = written if written.is_absolute() else ROOT / written
        results = json.loads(written.read_text())
    return [ClaimResult(run.name, c, c.value_in(results)) for c in run.claims]


def _argv(command: str, env: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    # `aisle …` and `python …` run on this interpreter (the virtualenv need not be on PATH); a leading
    # `env NAME=value` sets the variable for the run.
    words = shlex.split(command)
    if words and words[0] == "env":
        words = words[1:]
        while words and "=" in words[0]:
            key, _, value = words.pop(0).partition("=")
            env = {**env, key: value}
    if words and words[0] == "aisle":
        words = [sys.executable, "-m", "aisle.cli", *words[1:]]
    elif words and words[0] == "python":
        words = [sys.executable, *words[1:]]
    return words, env


def render_table(name: str, runs: Iterable[Run]) -> str:
    """The Markdown table `name`: a reference table made from the code, or the committed results of its claims."""
    from aisle.reference import REFERENCE_TABLES

    if name in REFERENCE_TABLES:
        return REFERENCE_TABLES[name]()
    cells: dict[tuple[str, str], str] = {}
    rows: list[str] = []
    columns: list[str] = []
    for run in runs:
        placed = [c for c in run.claims if c.table == name]
        if not placed:
            continue
        results = run.committed_results()
        for claim in placed:
            row, column = claim.row or claim.metric, claim.column or run.name
            rows += [row] if row not in rows else []
            columns += [column] if column not in columns else []
            cells[row, column] = claim.format.format(claim.value_in(results))
    if not rows:
        raise ReproError(f"no claim is placed in table {name!r}")
    lines = [f"| | {' | '.join(columns)} |", f"|---|{'---|' * len(columns)}"]
    lines += [f"| {row} | {' | '.join(cells.get((row, c), '') for c in columns)} |" for row in rows]
    return "\n".join(lines)


def regenerate_tables(text: str, runs: list[Run]) -> str:
    """`text` with every `<!-- repro:table NAME -->` … `<!-- /repro:table -->` block rendered anew."""

    def fill(match: re.Match[str]) -> str:
        name = match.group("name")
        return f"<!-- repro:table {name} -->\n{render_table(name, runs)}\n<!-- /repro:table -->"

    return _MARKER.sub(fill, text)


def documents() -> list[Path]:
    """The files whose tables are generated: the README and every docs page."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
