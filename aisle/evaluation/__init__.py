"""`aisle eval`: offline evaluation through the API's own search code, with reports and a regression gate."""

from __future__ import annotations

from aisle.evaluation.datasets import EvalSet, JudgedQuery, home_depot_set, simulated_set, trec_set
from aisle.evaluation.gate import Regression, regressions
from aisle.evaluation.harness import EvalRun, evaluate, score
from aisle.evaluation.metrics import judged_ndcg, mrr, ndcg, query_metrics, recall
from aisle.evaluation.report import write_report
from aisle.evaluation.statistics import bootstrap_ci, paired_p_value
from aisle.evaluation.systems import SYSTEMS, System

__all__ = [
    "SYSTEMS",
    "EvalRun",
    "EvalSet",
    "JudgedQuery",
    "Regression",
    "System",
    "bootstrap_ci",
    "evaluate",
    "home_depot_set",
    "judged_ndcg",
    "mrr",
    "ndcg",
    "paired_p_value",
    "query_metrics",
    "recall",
    "regressions",
    "score",
    "simulated_set",
    "trec_set",
    "write_report",
]
