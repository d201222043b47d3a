from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from aisle.ranking import examples
from encoders.ranking import FEATURES, Candidate, LtrRanker, QueryContext, features
from encoders.ranking.query_log import QUERY_LOG_FILE, QueryLog
from kernel.data import JudgedQuery

MATCH, GRADE = FEATURES.index("log_match"), FEATURES.index("log_grade")
# Weights by token, and tokens lose plural and verb endings ("cordless" reads "cordles").
IDF = {"cordles": 3.0, "drill": 2.0, "hammer": 2.5, "kit": 1.0}


def _log() -> QueryLog:
    return QueryLog(
        [
            ("Cordless  Drill", {"p1": 2, "p2": 1, "shown": 0}),
            ("drill kit", {"p2": 2}),
            ("hammer", {"p3": 1}),
        ],
        IDF,
    )


def _rows(text: str, log: QueryLog | None, held_out: str | None = None) -> np.ndarray:
    candidates = [Candidate(p, "a title") for p in ("p1", "p2", "p3", "p4")]
    return features(QueryContext(text, idf=IDF, log=log, held_out=held_out), candidates)


def test_the_log_keeps_only_relevant_products_by_product() -> None:
    log = _log()
    assert len(log) == 3 and log.products == 3
    assert log.found("shown") == () and log.found("p4") == ()
    assert sorted(s.grade for s in log.found("p2")) == [1, 2]


def test_a_search_the_log_holds_matches_its_products_fully() -> None:
    rows = _rows("cordless drill", _log())
    # Case and spacing do not make another search; p2 was found by it (grade 1) and by "drill kit".
    assert rows[0, MATCH] == 1.0 and rows[0, GRADE] == 2
    assert rows[1, MATCH] == 1.0 and rows[1, GRADE] == 1
    assert rows[2, MATCH] == 0.0 and rows[2, GRADE] == 0  # "hammer" shares no word
    assert rows[3, MATCH] == 0.0 and rows[3, GRADE] == 0  # no past search found p4


def test_the_match_is_the_idf_weighted_jaccard_of_the_closest_past_search() -> None:
    rows = _rows("drill", _log())
    # p1 by "cordless drill": 2 / (3 + 2); p2 closer by "drill kit": 2 / (2 + 1).
    assert rows[0, MATCH] == pytest.approx(2 / 5) and rows[0, GRADE] == 2
    assert rows[1, MATCH] == pytest.approx(2 / 3) and rows[1, GRADE] == 2


def test_a_held_out_search_does_not_find_its_own_products() -> None:
    rows = _rows("cordless drill", _log(), held_out="CORDLESS drill")
    assert rows[0, MATCH] == 0.0  # only the held-out search found p1
    assert rows[1, MATCH] == pytest.approx(2 / 6) and rows[1, GRADE] == 2  # "drill kit" still did


def test_no_log_leaves_the_features_missing() -> None:
    rows = _rows("cordless drill", None)
    assert all(math.isnan(v) for v in rows[:, [MATCH, GRADE]].ravel())


def test_training_examples_leave_each_search_out_of_its_own_log_features() -> None:
    log = _log()
    query = JudgedQuery("q1", "cordless drill", {"p1": 2})
    candidates = {"q1": [Candidate("p1", "cordless drill"), Candidate("p2", "drill kit")]}
    (made,) = examples([query], candidates, lambda q: q.grades, IDF, log=log)
    assert made.rows[0, MATCH] == 0.0 and made.rows[1, MATCH] == pytest.approx(2 / 6)
    assert made.labels.tolist() == [2, 0]


def test_a_saved_ranker_brings_its_log_back_and_a_ranker_without_one_removes_it(
    trained: tuple[LtrRanker, list], tmp_path: Path
) -> None:
    ranker, _ = trained
    folder = tmp_path / "ranker"
    ranker.log = _log()
    try:
        ranker.save(folder)
        loaded = LtrRanker.load(folder)
        assert loaded.log is not None and len(loaded.log) == 3
        assert loaded.context("drill").log is loaded.log
        ranker.log = None
        ranker.save(folder)
    finally:
        ranker.log = None
    assert not (folder / QUERY_LOG_FILE).exists()
    assert LtrRanker.load(folder).log is None
