from __future__ import annotations

import csv
import dataclasses
import gzip
import math
from pathlib import Path

import numpy as np
import pytest

from encoders.errors import TrainingDataError
from encoders.evaluation import corpus_metrics
from encoders.training_args import Batching, NegativeStrategy, TowerTargets, TrainingArgs
from encoders.training_data import home_depot_examples
from kernel.data import JudgedQuery, Split, ndcg_at, recall_at, split_of
from kernel.product import Product


def test_ndcg_matches_a_hand_computed_value() -> None:
    # gains: a=3 → 7 at rank 1, c=1 → 1 at rank 3; ideal: 7, 3 (b=2), 1.
    dcg = 7 / math.log2(2) + 1 / math.log2(4)
    idcg = 7 / math.log2(2) + 3 / math.log2(3) + 1 / math.log2(4)
    assert ndcg_at(["a", "x", "c"], {"a": 3, "b": 2, "c": 1}) == pytest.approx(dcg / idcg)
    assert ndcg_at(["x"], {}) == 0.0


def test_recall_counts_relevant_products_in_the_top_k() -> None:
    assert recall_at(["a", "b", "c"], {"a", "c", "d", "e"}, 2) == 0.25
    assert recall_at(["a"], set(), 10) == 0.0


def test_corpus_metrics_rank_by_dot_product() -> None:
    products = np.eye(3, dtype=np.float32)
    queries = np.array([[0.9, 0.1, 0.0], [0.0, 0.2, 0.8]], dtype=np.float32)
    judged = [JudgedQuery("q1", "one", {"p0": 3}), JudgedQuery("q2", "two", {"p1": 2})]
    metrics = corpus_metrics(queries, products, ["p0", "p1", "p2"], judged, ks=(1, 2))
    assert metrics["recall@1"] == 0.5 and metrics["recall@2"] == 1.0
    assert metrics["mrr"] == pytest.approx((1 + 1 / 2) / 2)


def test_the_split_is_seeded_stable_and_roughly_80_10_10() -> None:
    queries = [f"query {i}" for i in range(5000)]
    splits = [split_of(q) for q in queries]
    assert splits == [split_of(q) for q in queries]
    assert split_of("Cordless  Drill") is split_of("cordless drill")
    assert splits != [split_of(q, seed=99) for q in queries]
    share = {s: splits.count(s) / len(splits) for s in Split}
    assert 0.77 < share[Split.TRAIN] < 0.83 and 0.08 < share[Split.TEST] < 0.12


def test_training_args_round_trip_through_json_with_every_type_restored(tmp_path: Path) -> None:
    args = TrainingArgs(
        sampler=NegativeStrategy.RANDOM,
        batching=Batching.TAXONOMY,
        tower_targets=TowerTargets.CLICKED,
        negatives=4,
        store=tmp_path / "store",
        output_dir=tmp_path / "m",
    )
    args.to_json(tmp_path / "a.json")
    replayed = TrainingArgs.from_json(tmp_path / "a.json")
    # By type, not ==: a StrEnum equals its string, so == cannot tell a restored enum from a plain str.
    assert {f.name: type(getattr(replayed, f.name)) for f in dataclasses.fields(args)} == {
        f.name: type(getattr(args, f.name)) for f in dataclasses.fields(args)
    }
    assert replayed.batching is Batching.TAXONOMY and replayed == args


def test_a_replay_file_with_an_unknown_setting_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text('{"sampler": "random", "colour": "red"}')
    with pytest.raises(TrainingDataError, match="colour"):
        TrainingArgs.from_json(tmp_path / "a.json")


def _train_query(n: int) -> str:
    return next(q for q in (f"query {i}" for i in range(n, 10_000)) if split_of(q) is Split.TRAIN)


def test_home_depot_positives_start_at_the_chosen_rating(tmp_path: Path) -> None:
    query = _train_query(0)
    ratings = {"p1": 3.0, "p2": 2.67, "p3": 2.33, "p4": 2.0, "p5": 1.67, "p6": 1.0}
    judgments = tmp_path / "judgments.csv.gz"
    with gzip.open(judgments, "wt", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["id", "product_uid", "product_title", "search_term", "relevance"])
        writer.writerows([n, p, p, query, r] for n, (p, r) in enumerate(ratings.items()))
    products = {p: Product(id=p, title=f"product {p}") for p in ratings}

    strict, (graded,) = home_depot_examples(judgments, products, Split.TRAIN)
    loose, _ = home_depot_examples(judgments, products, Split.TRAIN, positive_at=2.0)

    assert sorted(e.positive.id for e in strict) == ["p1", "p2"]
    assert sorted(e.positive.id for e in loose) == ["p1", "p2", "p3", "p4"]
    # Products rated 2 or more are never someone's negative, whichever rating makes a positive.
    assert all(e.relevant_ids == {"p1", "p2", "p3", "p4"} for e in strict + loose)
    assert graded.grades == {"p1": 2, "p2": 2, "p3": 1, "p4": 1, "p5": 1}
