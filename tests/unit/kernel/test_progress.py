"""Progress is a live bar on a terminal and plain periodic lines anywhere else (logs, pipes, CI)."""

from __future__ import annotations

import io

from rich.console import Console
from rich.progress import Progress

from kernel.progress import LineProgress, progress_for


def _line_progress(every_s: float) -> tuple[io.StringIO, LineProgress]:
    """Line progress writing into a string, wide enough that no line wraps."""
    written = io.StringIO()
    return written, LineProgress(Console(file=written, width=200), every_s=every_s)


def test_a_terminal_gets_the_bar_and_anything_else_lines() -> None:
    assert isinstance(progress_for(Console(file=io.StringIO(), force_terminal=True)), Progress)
    assert isinstance(progress_for(Console(file=io.StringIO())), LineProgress)


def test_lines_show_done_of_total_and_end_with_the_final_count() -> None:
    written, tracker = _line_progress(every_s=0.0)
    with tracker:
        task = tracker.add_task("indexing products-1", total=20_000)
        tracker.advance(task, 7_500)
        tracker.update(task, completed=20_000)
    lines = written.getvalue().splitlines()
    assert lines[0].startswith("indexing products-1: 7,500/20,000 (")
    assert lines[-1].startswith("indexing products-1: 20,000/20,000 (") and lines[-1].endswith("/s)")


def test_lines_come_at_most_every_interval() -> None:
    written, tracker = _line_progress(every_s=3600.0)
    with tracker:
        task = tracker.add_task("training", total=None)
        for step in range(100):
            tracker.update(task, completed=step + 1, description=f"training (loss {1 / (step + 1):.3f})")
    assert written.getvalue().splitlines() == [written.getvalue().splitlines()[-1]]  # only the final line
    assert written.getvalue().startswith("training (loss 0.010): 100 (")


def test_the_closing_line_is_not_a_repeat_of_the_last_one() -> None:
    written, tracker = _line_progress(every_s=0.0)
    with tracker:
        task = tracker.add_task("candidates for the dev searches", total=159)
        tracker.update(task, completed=159)
    assert len(written.getvalue().splitlines()) == 1, written.getvalue()


def test_a_count_that_did_not_move_is_not_printed_again() -> None:
    written, tracker = _line_progress(every_s=0.0)
    with tracker:
        task = tracker.add_task("indexing products-1", total=20_000)
        tracker.update(task, completed=20_000)
        tracker.update(task, completed=20_000)  # the last bulk answers arrive after every row was read
    assert len(written.getvalue().splitlines()) == 1, written.getvalue()
