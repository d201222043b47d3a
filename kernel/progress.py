"""Progress on a console: rich's live bar on a terminal, a plain line every few seconds anywhere else.

A live bar redraws itself in place; written to a log, a pipe or CI it cannot, and rich then prints
only its last frame, cut to 80 columns (`20000/2… …`). `progress_for` picks by the console: a terminal
gets the bar, everything else `LineProgress`, which prints `description: done/total (rate/s)` lines
at most every `every_s` seconds and once more when the work ends.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from types import TracebackType

from rich.console import Console
from rich.progress import Progress, ProgressColumn, TaskID

__all__ = ["LineProgress", "progress_for"]


@dataclass
class _Task:
    description: str
    total: float | None
    completed: float = 0.0
    started: float = field(default_factory=time.monotonic)
    printed: float = field(default_factory=time.monotonic)
    printed_completed: float | None = None


class LineProgress:
    """The part of rich's `Progress` aisle uses (`add_task`, `advance`, `update`), as periodic lines."""

    def __init__(self, console: Console, every_s: float = 10.0) -> None:
        self.console = console
        self.every_s = every_s
        self._tasks: list[_Task] = []

    def __enter__(self) -> LineProgress:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        for task in self._tasks:
            # The closing line, unless the last periodic one already said the same.
            if task.completed != task.printed_completed:
                self._print(task)

    def add_task(self, description: str, total: float | None = None) -> TaskID:
        """Start tracking a piece of work; returns its id."""
        self._tasks.append(_Task(description, total))
        return TaskID(len(self._tasks) - 1)

    def advance(self, task_id: TaskID, advance: float = 1.0) -> None:
        """Count `advance` more units done."""
        task = self._tasks[task_id]
        self.update(task_id, completed=task.completed + advance)

    def update(
        self,
        task_id: TaskID,
        completed: float | None = None,
        total: float | None = None,
        description: str | None = None,
    ) -> None:
        """Set what is done, the total or the description; prints when `every_s` has passed and the count moved."""
        task = self._tasks[task_id]
        task.completed = task.completed if completed is None else completed
        task.total = task.total if total is None else total
        task.description = task.description if description is None else description
        # A line every `every_s` at most, and only when the count moved: one still at 20,000 while the
        # last bulk requests are answered would print the same line again.
        if time.monotonic() - task.printed >= self.every_s and task.completed != task.printed_completed:
            self._print(task)

    def _print(self, task: _Task) -> None:
        task.printed = time.monotonic()
        task.printed_completed = task.completed
        elapsed = max(task.printed - task.started, 1e-9)
        done = f"{task.completed:,.0f}" + (f"/{task.total:,.0f}" if task.total is not None else "")
        self.console.print(f"{task.description}: {done} ({task.completed / elapsed:,.1f}/s)", highlight=False)


def progress_for(console: Console, *columns: str | ProgressColumn, transient: bool = False) -> Progress | LineProgress:
    """A live bar (with `columns`, rich's defaults when none) on a terminal; `LineProgress` elsewhere."""
    if console.is_terminal:
        return Progress(*columns, console=console, transient=transient)
    return LineProgress(console)
