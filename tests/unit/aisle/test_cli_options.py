"""`aisle train`'s options come from TrainingArgs, and --replay reruns a train_args.json."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import typer
from typer.testing import CliRunner

from aisle.cli import app
from aisle.cli.options import command_from_dataclass
from encoders.training_args import Batching, NegativeStrategy, TrainingArgs


def _capture() -> tuple[typer.Typer, list[TrainingArgs]]:
    seen: list[TrainingArgs] = []
    cli = typer.Typer()
    cli.command("train")(command_from_dataclass(TrainingArgs, seen.append, "Train."))
    cli.command("other")(lambda: None)  # two commands, so that `train` is a subcommand as in `aisle`
    return cli, seen


def test_every_training_field_is_an_option() -> None:
    command = typer.main.get_command(app).commands["train"]  # type: ignore[attr-defined]
    flags = {flag for param in command.params for flag in param.opts}
    for field in dataclasses.fields(TrainingArgs):
        assert field.metadata.get("flag", f"--{field.name.replace('_', '-')}") in flags, field.name
    assert "--replay" in flags


def test_options_build_the_dataclass_with_its_types(tmp_path: Path) -> None:
    cli, seen = _capture()
    result = CliRunner().invoke(
        cli,
        ["train", "--store", str(tmp_path), "--batching", "taxonomy", "--personalize", "--out", str(tmp_path / "o")],
    )
    assert result.exit_code == 0, result.output
    (args,) = seen
    assert args.batching is Batching.TAXONOMY and args.personalize is True
    assert args.store == tmp_path and args.output_dir == tmp_path / "o"


def test_replay_takes_the_file_and_lets_given_options_override_it(tmp_path: Path) -> None:
    recorded = TrainingArgs(store=tmp_path, sampler=NegativeStrategy.BM25, batching=Batching.TAXONOMY, seed=3)
    recorded.to_json(tmp_path / "train_args.json")
    cli, seen = _capture()
    result = CliRunner().invoke(cli, ["train", "--replay", str(tmp_path / "train_args.json"), "--seed", "9"])
    assert result.exit_code == 0, result.output
    assert seen == [dataclasses.replace(recorded, seed=9)]
    assert seen[0].batching is Batching.TAXONOMY


def test_bounds_in_the_metadata_are_checked() -> None:
    cli, seen = _capture()
    result = CliRunner().invoke(cli, ["train", "--positive-at", "4"])
    assert result.exit_code == 2 and not seen
