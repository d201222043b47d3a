"""Bootstrap intervals, the paired test and the regression gate."""

from __future__ import annotations

import numpy as np

from aisle.evaluation import bootstrap_ci, paired_p_value, regressions


def test_bootstrap_interval_contains_the_mean_and_narrows_with_more_queries() -> None:
    rng = np.random.default_rng(1)
    few, many = rng.random(20).tolist(), rng.random(2000).tolist()
    low, high = bootstrap_ci(few)
    assert low < float(np.mean(few)) < high
    low_many, high_many = bootstrap_ci(many)
    assert high_many - low_many < high - low
    assert bootstrap_ci([0.5] * 10) == (0.5, 0.5)
    assert bootstrap_ci(few, seed=3) == bootstrap_ci(few, seed=3)


def test_paired_test_separates_a_real_difference_from_noise() -> None:
    rng = np.random.default_rng(2)
    base = rng.random(200)
    better = base + 0.1
    noisy = base + rng.normal(0, 0.05, 200)
    noisy -= noisy.mean() - base.mean()  # same mean, different queries
    assert paired_p_value(better.tolist(), base.tolist()) < 0.001
    assert paired_p_value(noisy.tolist(), base.tolist()) > 0.2
    assert paired_p_value([1.0, 2.0], [1.0, 2.0]) == 1.0


def _results(**means: float) -> dict:
    return {"systems": {"bm25": {"metrics": {m: {"mean": v, "ci95": [v, v]} for m, v in means.items()}}}}


def test_gate_flags_drops_beyond_the_tolerance_only() -> None:
    baseline = _results(**{"ndcg@10": 0.50, "recall@24": 0.70})
    assert regressions(_results(**{"ndcg@10": 0.49, "recall@24": 0.75}), baseline, tolerance=0.02) == []
    found = regressions(_results(**{"ndcg@10": 0.45, "recall@24": 0.70}), baseline, tolerance=0.02)
    assert [(r.system, r.metric) for r in found] == [("bm25", "ndcg@10")]
    assert "0.4500 < baseline 0.5000" in str(found[0])


def test_gate_counts_a_missing_system_as_a_regression() -> None:
    baseline = _results(**{"ndcg@10": 0.5})
    assert [r.system for r in regressions({"systems": {}}, baseline, tolerance=0.02)] == ["bm25"]
