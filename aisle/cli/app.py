"""The `aisle` application: every command group and command, and the one place expected failures print.

One module per group of commands; each command's options are its function's parameters (or, for
`aisle train`, the fields of `TrainingArgs`). An expected failure prints one line and exits 1.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from aisle.cli.capacity import capacity_command
from aisle.cli.console import err, quiet_libraries
from aisle.cli.encoders import app as encoders_app
from aisle.cli.evaluate import eval_command
from aisle.cli.index import app as index_app
from aisle.cli.opensearch import image_app, opensearch_app
from aisle.cli.rank import app as rank_app
from aisle.cli.repro import repro_command
from aisle.cli.stack import down, sample_command, serve, simulate_command, up
from aisle.cli.train import train_command
from kernel.errors import AisleError

__all__ = ["app", "main"]

app = typer.Typer(
    help="aisle: personalized hybrid product search on OpenSearch.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@app.callback()
def _everything(
    verbose: Annotated[
        bool, typer.Option("--verbose", help="Also show the libraries' warnings and progress bars.")
    ] = False,
) -> None:
    if not verbose:
        quiet_libraries()


app.add_typer(opensearch_app, name="opensearch")
app.add_typer(index_app, name="index")
app.add_typer(encoders_app, name="encoders")
app.add_typer(image_app, name="image")
app.add_typer(rank_app, name="rank")
app.command("up")(up)
app.command("down")(down)
app.command("train")(train_command)
app.command("eval")(eval_command)
app.command("simulate")(simulate_command)
app.command("sample")(sample_command)
app.command("serve")(serve)
app.command("repro")(repro_command)
app.command("capacity")(capacity_command)


def main() -> None:
    """Run the CLI; an expected failure prints `ErrorClass: message` (and its notes) and exits 1."""
    try:
        app()
    except AisleError as exc:
        lines = [f"{type(exc).__name__}: {exc}", *getattr(exc, "__notes__", [])]
        err.print("\n".join(lines), markup=False, highlight=False)
        sys.exit(1)


if __name__ == "__main__":
    main()
