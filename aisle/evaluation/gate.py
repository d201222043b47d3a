"""The regression gate: a metric that dropped more than the tolerance below its baseline fails the build."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Regression", "regressions"]


@dataclass(frozen=True)
class Regression:
    """One metric of one system below its baseline by more than the tolerance."""

    system: str
    metric: str
    baseline: float
    current: float

    def __str__(self) -> str:
        return f"{self.system} {self.metric}: {self.current:.4f} < baseline {self.baseline:.4f}"


def regressions(current: dict[str, Any], baseline: dict[str, Any], tolerance: float) -> list[Regression]:
    """Every (system, metric) of `baseline` whose mean in `current` is lower by more than `tolerance`.

    A system or metric the baseline has but the current run lacks counts as a regression (at 0).
    """
    found = []
    for system, base in baseline["systems"].items():
        now = current["systems"].get(system, {}).get("metrics", {})
        for metric, value in base["metrics"].items():
            was = float(value["mean"])
            is_ = float(now.get(metric, {}).get("mean", 0.0))
            if is_ < was - tolerance:
                found.append(Regression(system, metric, was, is_))
    return found
