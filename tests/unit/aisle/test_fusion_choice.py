"""The fusion sweep's one-line summary: the chosen weight and its score, the runner-up and RRF, no raw dict."""

from __future__ import annotations

from aisle.ranking import FusionChoice


def test_the_summary_names_the_choice_the_runner_up_and_rrf() -> None:
    measured = {"minmax@0.1": 0.0712, "minmax@0.3": 0.0778, "minmax@0.4": 0.0757, "rrf@60": 0.0692}
    line = FusionChoice(0.3, measured, "simulated-store-dev").summary()
    assert line == (
        "lexical weight 0.3 chosen on simulated-store-dev (dev nDCG@10 0.0778, next best 0.4 0.0757, RRF 0.0692)"
    )
    assert "{" not in line
