"""A typer command whose options are the fields of a settings dataclass (tevatron's arguments style).

Each knob is declared once, as a dataclass field with its `help` (and optional `flag`, `min`, `max`)
in `metadata`; the command line, the JSON a run writes and the code all read that one declaration.
`--replay FILE` starts from a JSON written by the dataclass's `to_json`; options given on the command
line override what the file says.
"""

from __future__ import annotations

import dataclasses
import inspect
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Protocol, TypeVar

import typer

__all__ = ["command_from_dataclass"]


class Replayable(Protocol):
    """A settings dataclass that reads back what it wrote."""

    @classmethod
    def from_json(cls, path: Path) -> Any:  # noqa: D102
        ...


T = TypeVar("T", bound=Replayable)


def _option(field: dataclasses.Field[Any], hint: Any) -> Any:
    metadata = field.metadata
    flag = metadata.get("flag", f"--{field.name.replace('_', '-')}")
    flags = [flag] if hint is not bool else [f"{flag}/--no-{flag.removeprefix('--')}"]
    option = typer.Option(*flags, help=metadata.get("help"), min=metadata.get("min"), max=metadata.get("max"))
    return Annotated[hint, option]


def _source(ctx: typer.Context, name: str) -> str | None:
    source = ctx.get_parameter_source(name)
    return source.name if source is not None else None


def command_from_dataclass(cls: type[T], run: Callable[[T], None], doc: str) -> Callable[..., None]:
    """A function typer turns into a command with one option per field of `cls`, and `--replay`."""
    hints = typing.get_type_hints(cls)
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    parameters = [inspect.Parameter("ctx", inspect.Parameter.KEYWORD_ONLY, annotation=typer.Context)]
    for field in fields:
        factory = field.default_factory
        default = factory() if callable(factory) else field.default
        parameters.append(
            inspect.Parameter(
                field.name,
                inspect.Parameter.KEYWORD_ONLY,
                default=default,
                annotation=_option(field, hints[field.name]),
            )
        )
    replay_help = "A train_args.json to replay; options given here override it."
    parameters.append(
        inspect.Parameter(
            "replay",
            inspect.Parameter.KEYWORD_ONLY,
            default=None,
            annotation=Annotated[Path | None, typer.Option(help=replay_help, exists=True, dir_okay=False)],
        )
    )

    def command(ctx: typer.Context, replay: Path | None = None, **values: Any) -> None:
        if replay is not None:
            # By name: typer carries its own copy of click, whose enum is not click's.
            given = {name: value for name, value in values.items() if _source(ctx, name) == "COMMANDLINE"}
            run(dataclasses.replace(cls.from_json(replay), **given))
        else:
            run(cls(**values))

    command.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in parameters}
    command.__doc__ = doc
    return command
