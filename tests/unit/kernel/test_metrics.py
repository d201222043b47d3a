"""Metric code against values computed by hand."""

from __future__ import annotations

import math

import pytest

from kernel.data import judged_ndcg, mrr, ndcg_at, query_metrics, recall_at, relevant_set


def test_ndcg_by_hand() -> None:
    grades = {"a": 3, "b": 1, "c": 2}
    # DCG of b, x, a: (2^1-1)/log2(2) + 0 + (2^3-1)/log2(4) = 1 + 3.5
    # IDCG (a, c, b): 7/1 + 3/log2(3) + 1/2
    expected = (1 + 3.5) / (7 + 3 / math.log2(3) + 0.5)
    assert ndcg_at(["b", "x", "a"], grades) == pytest.approx(expected)
    assert ndcg_at(["a", "c", "b"], grades) == pytest.approx(1.0)
    assert ndcg_at(["x", "y"], grades) == 0.0
    assert ndcg_at(["a"], {}) == 0.0


def test_ndcg_cuts_at_k() -> None:
    grades = {"a": 1}
    assert ndcg_at(["x"] * 10 + ["a"], grades, k=10) == 0.0
    assert ndcg_at(["x"] * 9 + ["a"], grades, k=10) == pytest.approx(1 / math.log2(11))


def test_judged_ndcg_ignores_unjudged_products() -> None:
    grades = {"a": 2, "b": 1}
    assert judged_ndcg(["x", "y", "b", "z", "a"], grades) == pytest.approx(ndcg_at(["b", "a"], grades))
    assert judged_ndcg(["x", "a", "b"], grades) == pytest.approx(1.0)


def test_recall_and_mrr_by_hand() -> None:
    relevant = {"a", "b", "c", "d"}
    ranked = ["x", "a", "y", "b"]
    assert recall_at(ranked, relevant, 2) == 0.25
    assert recall_at(ranked, relevant, 4) == 0.5
    assert recall_at(ranked, set(), 4) == 0.0
    assert mrr(ranked, relevant) == 0.5
    assert mrr(["x", "y"], relevant) == 0.0


def test_relevant_means_grade_two_or_the_best_grade_there_is() -> None:
    assert relevant_set({"a": 3, "b": 2, "c": 1}) == {"a", "b"}
    assert relevant_set({"a": 1, "b": 1}) == {"a", "b"}


def test_query_metrics_names_every_metric() -> None:
    values = query_metrics(["a", "x"], {"a": 3, "b": 3})
    assert set(values) == {"ndcg@10", "mrr", "recall@10", "recall@24", "recall@100", "judged_ndcg@10"}
    assert values["recall@10"] == 0.5 and values["mrr"] == 1.0
