"""What earlier `aisle up` runs built, so a rerun redoes only what is no longer current."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["StackState"]


class StackState:
    """`state.json` in the stack's home: one record per step, each naming the inputs it was built from."""

    def __init__(self, home: Path) -> None:
        self.path = home / "state.json"
        self._steps: dict[str, dict[str, Any]] = json.loads(self.path.read_text()) if self.path.is_file() else {}

    def get(self, step: str) -> dict[str, Any]:
        """The record of `step` (empty when it never completed)."""
        return dict(self._steps.get(step, {}))

    def matches(self, step: str, inputs: dict[str, Any]) -> bool:
        """Whether `step` last completed from exactly these inputs."""
        return self._steps.get(step, {}).get("inputs") == inputs

    def record(self, step: str, inputs: dict[str, Any], **outputs: Any) -> None:
        """Remember that `step` completed from `inputs`, with what it produced."""
        self._steps[step] = {"inputs": inputs, **outputs}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(self._steps, indent=2, default=str))

    def forget(self, step: str) -> None:
        """Drop the record of `step` (it no longer runs)."""
        if self._steps.pop(step, None) is not None:
            self.path.write_text(json.dumps(self._steps, indent=2, default=str))
