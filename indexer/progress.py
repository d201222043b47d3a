"""The indexing progress bar: rows, docs/s and time left, on stderr (periodic lines when not a terminal)."""

from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from kernel.progress import LineProgress, progress_for

__all__ = ["indexing_progress"]


class _RateColumn(ProgressColumn):
    def render(self, task: Task) -> Text:
        return Text(f"{task.speed:,.0f} docs/s" if task.speed else "… docs/s")


def indexing_progress(console: Console) -> Progress | LineProgress:
    """A progress bar with rows done, rate and ETA."""
    return progress_for(
        console,
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        _RateColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
