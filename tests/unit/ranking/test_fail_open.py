from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from encoders.ranking import LtrRanker
from query_api.search.ranking import RankingStage


def _corrupt_tree(rows: Any) -> Any:
    raise RuntimeError("corrupt tree")


def test_a_failing_ranker_leaves_the_fused_order(
    trained: tuple[LtrRanker, list], monkeypatch: pytest.MonkeyPatch
) -> None:
    ranker, dev = trained
    query, candidates, _ = dev[0]
    monkeypatch.setattr(ranker, "score", _corrupt_tree)
    out = RankingStage(ranker, budget_ms=1000).rerank(query, candidates)
    assert out.outcome.value == "failed" and "failed (RuntimeError)" in out.reason
    assert out.order == [c.id for c in candidates]


def test_a_ranker_over_its_budget_leaves_the_fused_order(trained: tuple[LtrRanker, list]) -> None:
    ranker, dev = trained
    query, candidates, _ = dev[0]
    assert RankingStage(ranker, budget_ms=1000).rerank(query, candidates).applied
    slow = RankingStage(ranker, budget_ms=1e-6).rerank(query, candidates)
    assert slow.outcome.value == "over_budget" and "over its" in slow.reason
    assert slow.order == [c.id for c in candidates]


def test_warming_up_is_not_a_search_over_budget(
    trained: tuple[LtrRanker, list], caplog: pytest.LogCaptureFixture
) -> None:
    ranker, dev = trained
    with caplog.at_level("WARNING", logger="aisle.api"):
        stage = RankingStage(ranker, budget_ms=1e-6)
    assert not [r for r in caplog.records if "ranker_over_budget" in r.getMessage()]
    # The budget still holds for searches.
    assert stage.rerank(dev[0][0], dev[0][1]).outcome.value == "over_budget"


def test_the_stage_orders_by_the_ranker_and_explains_each_score(trained: tuple[LtrRanker, list]) -> None:
    ranker, dev = trained
    query, candidates, _ = dev[0]
    out = RankingStage(ranker, budget_ms=1000).rerank(query, candidates, explain=True)
    scores = [out.scores[i] for i in out.order]
    assert scores == sorted(scores, reverse=True) and sorted(out.order) == sorted(c.id for c in candidates)
    for cid in out.order:
        assert sum(out.contributions[cid].values()) == pytest.approx(out.scores[cid], abs=1e-9)


def test_no_ranker_and_no_candidates_are_not_failures(trained: tuple[LtrRanker, list]) -> None:
    ranker, dev = trained
    assert RankingStage(None, 25).rerank("drill", dev[0][1]).reason == "no ranker is loaded"
    assert RankingStage(ranker, 25).rerank("drill", []).order == []
    assert np.isfinite(list(RankingStage(ranker, 1000).rerank("drill", dev[0][1]).scores.values())).all()
