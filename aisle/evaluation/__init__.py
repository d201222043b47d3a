"""`aisle eval`: offline evaluation through the API's own search code, with reports and a regression gate."""

from __future__ import annotations

from aisle.evaluation.datasets import EvalSet, home_depot_set, simulated_set, trec_set
from aisle.evaluation.gate import Regression, regressions
from aisle.evaluation.harness import EvalRun, evaluate, score
from aisle.evaluation.report import write_report
from aisle.evaluation.statistics import bootstrap_ci, paired_p_value
from aisle.evaluation.systems import SYSTEMS, System

__all__ = [
    "EvalRun",
    "EvalSet",
    "Regression",
    "SYSTEMS",
    "System",
    "bootstrap_ci",
    "evaluate",
    "home_depot_set",
    "paired_p_value",
    "regressions",
    "score",
    "simulated_set",
    "trec_set",
    "write_report",
]
