"""`aisle repro`: rerun the commands behind the numbers the docs claim, and regenerate the docs' tables."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from aisle.cli.console import err, out
from aisle.errors import ReproError
from aisle.repro import ClaimResult, documents, load_runs, regenerate_tables, rerun

__all__ = ["repro_command"]


def repro_command(
    name: Annotated[str | None, typer.Argument(help="The run to reproduce (see --list).")] = None,
    list_runs: Annotated[bool, typer.Option("--list", help="List the runs and the numbers each backs.")] = False,
    run_all: Annotated[bool, typer.Option("--all", help="Reproduce every run.")] = False,
    fast: Annotated[bool, typer.Option("--fast", help="Reproduce the runs marked fast (what CI reruns).")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Print the commands, run nothing.")] = False,
    tables: Annotated[
        bool, typer.Option("--tables", help="Rewrite the generated tables in README.md and docs/ from the results.")
    ] = False,
    data_dir: Annotated[
        Path, typer.Option(envvar="AISLE_DATA_DIR", help="Folder with the datasets (home-depot/, …).")
    ] = Path("../shared/data"),
) -> None:
    """Rerun the commands behind the docs' numbers and say OK or FAIL per number; or regenerate the docs' tables."""
    runs = load_runs()
    if tables:
        for document in documents():
            text = document.read_text()
            if (updated := regenerate_tables(text, runs)) != text:
                document.write_text(updated)
                out.print(f"regenerated the tables in {document}")
        return
    if list_runs:
        for run in runs:
            marks = " (fast)" if run.fast else ""
            out.print(f"{run.name}{marks}: {len(run.claims)} numbers, measured {run.date} on {run.machine}")
            for claim in run.claims:
                out.print(f"    {claim.metric} = {claim.expected} ± {claim.tolerance}")
        return
    chosen = [r for r in runs if run_all or (fast and r.fast) or r.name == name]
    if not chosen:
        known = ", ".join(r.name for r in runs)
        raise ReproError(f"No run {'named ' + repr(name) if name else 'chosen'}: give one of {known}, --fast or --all.")
    failed = 0
    for run in chosen:
        result = rerun(run, data_dir, dry_run=dry_run)
        if isinstance(result, str):
            out.print(f"{run.name}: {result}")
            for need in run.needs:
                out.print(f"    needs: {need}")
            for claim in run.claims:
                out.print(f"    {claim.metric} = {claim.expected} ± {claim.tolerance}")
            continue
        for checked in result:
            failed += not checked.ok
            out.print(_line(checked))
    if failed:
        err.print(f"{failed} number(s) outside their tolerance")
        raise typer.Exit(1)


def _line(checked: ClaimResult) -> str:
    verdict = "OK  " if checked.ok else "FAIL"
    claim = checked.claim
    expected = f"expected {claim.expected} ± {claim.tolerance}"
    return f"{verdict} {checked.run}: {claim.metric} = {checked.measured:.4f} ({expected})"
