"""Argument dataclasses that replay: written as JSON beside a run, read back with every value's type restored."""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from dataclasses import asdict
from enum import Enum
from pathlib import Path
from typing import Any, Self

from encoders.errors import TrainingDataError

__all__ = ["ReplayableArgs"]


class ReplayableArgs:
    """Mixin for a dataclass of run arguments: `to_json` writes them, `from_json` reads them back."""

    def to_json(self, path: Path) -> None:
        """Write the arguments as JSON (paths and choices as strings)."""
        values = {k: str(v) if isinstance(v, Path) else v for k, v in asdict(self).items()}  # type: ignore[call-overload]
        path.write_text(json.dumps(values, indent=2))

    @classmethod
    def from_json(cls, path: Path) -> Self:
        """Read arguments written by `to_json`, each value restored to its field's type (enums, paths).

        Raises:
            TrainingDataError: the file names a setting this version does not have.
        """
        raw: dict[str, Any] = json.loads(path.read_text())
        hints = typing.get_type_hints(cls)
        unknown = sorted(set(raw) - {f.name for f in dataclasses.fields(cls)})  # type: ignore[arg-type]
        if unknown:
            raise TrainingDataError(
                f"{path} names settings this aisle does not have: {', '.join(unknown)}. It was written by another "
                "version; remove them, or rerun with that version."
            )
        return cls(**{name: _restore(hints[name], value) for name, value in raw.items()})


def _restore(hint: Any, value: Any) -> Any:
    """`value` as read from JSON, turned back into the type `hint` names (`Path | None`, an enum, ...)."""
    if value is None:
        return None
    options = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
    for option in options:
        if isinstance(option, type) and issubclass(option, Enum | Path):
            return option(value)
    return value
