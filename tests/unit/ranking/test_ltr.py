from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from encoders.errors import ModelNotFoundError, TrainingDataError
from encoders.ranking import (
    FEATURES,
    Candidate,
    Lexicon,
    LtrArgs,
    LtrRanker,
    QueryContext,
    RankingExample,
    Taste,
    features,
    train_ltr,
)
from kernel.data import ndcg_at
from tests.unit.ranking.conftest import examples, searches


def _mean_ndcg(ranked: list[list[str]], grades: list[dict[str, int]]) -> float:
    return float(np.mean([ndcg_at(r, g) for r, g in zip(ranked, grades, strict=True)]))


def test_training_learns_what_the_fused_order_misses(trained: tuple[LtrRanker, list]) -> None:
    ranker, dev = trained
    fused = [[c.id for c in cs] for _, cs, _ in dev]
    reranked = []
    for query, cs, _ in dev:
        scores = ranker.score(features(QueryContext(query), cs))
        reranked.append([cs[i].id for i in np.argsort(-scores, kind="stable")])
    grades = [g for _, _, g in dev]
    assert _mean_ndcg(reranked, grades) > _mean_ndcg(fused, grades) + 0.2
    assert ranker.card["feature_gain"]["term_coverage"] > 0


def test_contributions_add_up_to_the_score(trained: tuple[LtrRanker, list]) -> None:
    ranker, dev = trained
    rows = features(QueryContext(dev[0][0]), dev[0][1])
    contributions = ranker.contributions(rows)
    assert contributions.shape == (len(rows), len(FEATURES) + 1)
    np.testing.assert_allclose(contributions.sum(axis=1), ranker.score(rows), rtol=1e-6, atol=1e-9)


def test_a_saved_ranker_scores_the_same_after_loading(trained: tuple[LtrRanker, list], tmp_path: Path) -> None:
    ranker, dev = trained
    ranker.idf = {"drill": 2.5}
    ranker.save(tmp_path / "ranker")
    loaded = LtrRanker.load(tmp_path / "ranker")
    rows = features(QueryContext(dev[0][0]), dev[0][1])
    np.testing.assert_allclose(loaded.score(rows), ranker.score(rows), rtol=1e-9, atol=1e-12)
    assert loaded.idf == {"drill": 2.5} and loaded.features == FEATURES


def test_a_loaded_ranker_scores_on_compiled_trees_as_lightgbm_does(
    trained: tuple[LtrRanker, list], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    ranker, dev = trained
    ranker.save(tmp_path / "ranker")
    loaded = LtrRanker.load(tmp_path / "ranker")
    assert loaded.compiled is not None
    # Every feature missing somewhere, as NaN: compiled trees must send it down LightGBM's default branch.
    rows = np.vstack([features(QueryContext(q), cs) for q, cs, _ in dev])
    rows[np.random.default_rng(0).random(rows.shape) < 0.2] = np.nan
    np.testing.assert_allclose(loaded.score(rows), loaded.booster.predict(rows), rtol=1e-9, atol=1e-12)
    (compiled,) = (tmp_path / "cache" / "aisle" / "rankers").glob("*.so")
    # A second process loads the compiled file instead of compiling again.
    again = LtrRanker.load(tmp_path / "ranker")
    assert again.compiled is not None and list(compiled.parent.iterdir()) == [compiled]
    np.testing.assert_allclose(again.score(rows), loaded.score(rows), rtol=1e-12)


def test_a_ranker_trained_on_other_features_is_refused(trained: tuple[LtrRanker, list], tmp_path: Path) -> None:
    ranker, _ = trained
    ranker.save(tmp_path / "ranker")
    card = tmp_path / "ranker" / "ranker.json"
    card.write_text(card.read_text().replace('"term_coverage"', '"old_feature"'))
    with pytest.raises(ModelNotFoundError, match="other features"):
        LtrRanker.load(tmp_path / "ranker")
    with pytest.raises(ModelNotFoundError, match="holds no ranker"):
        LtrRanker.load(tmp_path / "nothing")


def test_searches_with_nothing_relevant_are_a_clear_error() -> None:
    found = searches(5, seed=3)
    empty = [RankingExample(e.query_id, e.rows, np.zeros_like(e.labels)) for e in examples(found)]
    with pytest.raises(TrainingDataError, match="no relevant candidate|No training search"):
        train_ltr(empty, [], LtrArgs(rounds=5), {})


def test_features_mark_what_does_not_apply_as_missing() -> None:
    query = QueryContext('3/4" pvc pipe', idf={"pvc": 3.0, "pipe": 1.0})
    rows = features(
        query,
        [
            Candidate("a", "3/4 in. x 10 ft. PVC Pipe", brand="Charlotte", price=5.0, availability="in_stock"),
            Candidate("b", "1/2 in. PVC Pipe"),
        ],
    )
    row = dict(zip(FEATURES, rows[0], strict=True))
    other = dict(zip(FEATURES, rows[1], strict=True))
    assert row["term_coverage"] == 1.0 and row["number_match"] == 1.0 and row["number_missing"] == 0.0
    assert other["number_missing"] == 1.0 and other["number_match"] == 0.0
    assert row["in_stock"] == 1.0 and math.isnan(other["in_stock"])  # unknown, not out of stock
    assert math.isnan(row["brand_affinity"])  # an anonymous search has no taste
    assert math.isnan(row["cross_encoder_score"])  # not scored
    assert row["idf_coverage"] == 1.0


def test_each_feature_lands_in_its_own_column() -> None:
    taste = Taste(brands={"Ryobi": 0.5}, categories={"Tools > Power Tools": 0.25}, median_price=99.0)
    query = QueryContext("ryobi cordless dril", taste=taste, idf={"ryobi": 4.0, "drill": 2.0})
    found = Candidate(
        "a", "Cordless Drill Kit", brand="Ryobi", category_path="Tools > Power Tools > Drills", price=99.0
    )
    far = Candidate("b", "Corded Grinder", brand="Makita", category_path="Tools > Hand Tools", price=10.0)
    wordless = Candidate("c", "Drill Bit", brand="&")  # a brand with no word in it is named by no query
    rows = features(query, [found, far, wordless])
    row, other = dict(zip(FEATURES, rows[0], strict=True)), dict(zip(FEATURES, rows[1], strict=True))
    assert rows[2, FEATURES.index("brand_in_query")] == 0.0
    # "dril" is one letter from "drill", not from any word of the grinder: a near miss only for the first.
    assert row["near_miss_coverage"] == pytest.approx(1 / 3) and other["near_miss_coverage"] == 0.0
    assert row["bigram_coverage"] == 0.0 and row["head_term_in_title"] == 0.0
    assert row["brand_in_query"] == 1.0 and other["brand_in_query"] == 0.0
    assert row["brand_affinity"] == 0.5 and other["brand_affinity"] == 0.0
    assert row["category_affinity"] == 0.25 and other["category_affinity"] == 0.0
    assert row["price_distance"] == 0.0 and other["price_distance"] > 2
    assert row["title_tokens"] == 3 and row["query_tokens"] == 3


def test_a_history_becomes_shares_of_brands_and_categories_and_a_median_price() -> None:
    bought = [
        {"brand": "Ryobi", "category_path": "Tools > Power Tools > Drills", "price": 99.0},
        {"brand": "Ryobi", "category_path": "Tools > Power Tools > Saws", "price": 149.0},
        {"brand": "Behr", "category_path": "Paint > Interior Paint", "price": 30.0},
        {"category_path": None, "price": None},
    ]
    taste = Taste.from_products(bought)
    assert taste is not None
    assert taste.brands == {"Ryobi": 0.5, "Behr": 0.25}
    assert taste.categories == {"Tools > Power Tools": 0.5, "Paint > Interior Paint": 0.25}
    assert taste.median_price == 99.0
    assert Taste.from_products([]) is None


def test_the_lexicon_finds_words_one_edit_away_and_not_the_word_itself() -> None:
    lexicon = Lexicon(["drill", "grinder", "bench", "benches", "sander"])
    assert lexicon.near("dril") == {"drill"}  # a letter dropped
    assert lexicon.near("drlil") == {"drill"}  # two letters swapped
    assert lexicon.near("sanded") == {"sander"}  # one substituted
    assert lexicon.near("bench") == frozenset()  # itself is no near miss; "benches" is two edits away
    assert lexicon.near("hose") == frozenset()
