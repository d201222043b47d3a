"""API CPU of the ranking stage per search, at depth 10 / 20 / 50, on real Home Depot candidates.

The candidates are the first stage's fused top 50 of Home Depot dev searches, as `aisle rank train
--cache-dir DIR` saved them. Each search is re-ranked as the API does it (`RankingStage.rerank`:
features, then one LightGBM `predict`), one at a time after a warm-up, and its CPU time is read with
`time.thread_time` (this thread only, so the cost is the stage's, not the machine's). The baseline
measured in the same run is the stage's floor: building the candidates' order with no model
(fused order kept); beside it, LightGBM's `predict` alone and the rows alone (27 values per
candidate copied from its fields, no text work: what any Python feature code pays at least), and
at depth 50 the same stage with the query log's two features left out (what reading the log costs). With
`--cross-encoder`, the cross-encoder's CPU per search is measured too, at depth 1 / 2 / 5 / 10 / 20,
and the depth that fits in `--ce-budget-ms` of CPU is reported.

    python -m benchmarks.ranking_stage --model DIR --candidates artifacts/rank-cache/<...>-home-depot-dev-50-0.7.json
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

import numpy as np

from aisle.evaluation import home_depot_set
from benchmarks.common import data_dir, median, write_result
from encoders.ranking import Candidate, LtrRanker, features
from encoders.ranking.cross_encoder import OnnxCrossEncoder
from kernel.data import Split
from query_api.search.ranking import RankingStage

DEPTHS = [10, 20, 50]
CE_DEPTHS = [1, 2, 5, 10, 20]


def _cpu_ms(stage: RankingStage, searches: list[tuple[str, list[Candidate]]], depth: int) -> list[float]:
    timings = []
    for text, found in searches:
        began = time.thread_time()
        stage.rerank(text, found[:depth])
        timings.append((time.thread_time() - began) * 1000)
    return timings


def _predict_ms(ranker: LtrRanker, searches: list[tuple[str, list[Candidate]]], depth: int) -> list[float]:
    # LightGBM alone, on rows computed beforehand: the part of the stage no feature code can remove.
    rows = [features(ranker.context(text), found[:depth]) for text, found in searches]
    timings = []
    for row in rows:
        began = time.thread_time()
        ranker.score(row)
        timings.append((time.thread_time() - began) * 1000)
    return timings


def _rows_floor_ms(searches: list[tuple[str, list[Candidate]]], depth: int) -> list[float]:
    # The least any Python feature code pays: one 27-value row per candidate, read straight from its
    # fields with no text work, and the array LightGBM takes. Features cost this plus their own work.
    nan = float("nan")
    timings = []
    for _, found in searches:
        began = time.thread_time()
        rows = [
            (
                c.lexical_score or 0.0,
                c.lexical_rank or 0.0,
                c.semantic_score or 0.0,
                c.semantic_rank or 0.0,
                c.fused_score,
                c.personal_delta or nan,
                c.cross_encoder_score or nan,
                *(nan,) * 12,
                c.price or nan,
                float(c.availability == "in_stock"),
                c.popularity or nan,
                nan,
                nan,
                nan,
                nan,
                nan,
            )
            for c in found[:depth]
        ]
        np.array(rows, dtype=np.float64)
        timings.append((time.thread_time() - began) * 1000)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, required=True, help="the model directory with ranker/ beside it")
    parser.add_argument("--candidates", type=Path, required=True, help="a candidate cache of dev searches")
    parser.add_argument("--searches", type=int, default=500, help="searches timed per depth")
    parser.add_argument("--cross-encoder", action="store_true", help="also time the cross-encoder beside the model")
    parser.add_argument("--ce-budget-ms", type=float, default=10.0, help="CPU the cross-encoder may take")
    args = parser.parse_args()
    ranker = LtrRanker.beside(args.model)
    if ranker is None:
        raise SystemExit(f"No ranker in {args.model}/ranker: train one with `aisle rank train --model {args.model}`.")
    cached = json.loads(args.candidates.read_text())
    # The cache is keyed by query id; the texts come from the dev set.
    texts = {q.query_id: q.text for q in home_depot_set(data_dir() / "home-depot", Split.DEV).queries}
    searches = [
        (texts[qid], [Candidate(**c) for c in found]) for qid, found in cached.items() if qid in texts and found
    ][: args.searches]
    plain = RankingStage(None, budget_ms=1e9)
    ltr = RankingStage(ranker, budget_ms=1e9)
    warm_up, searches = searches[:20], searches[20:]
    _cpu_ms(ltr, warm_up, 50)  # first calls allocate
    # The features tokenize each title once per process: the first sight of a title costs most.
    cold = median(_cpu_ms(ltr, searches, 50))
    result: dict[str, dict[str, float]] = {"ltr@50_titles_unseen": {"median_cpu_ms": cold}}
    print(f"{len(searches)} Home Depot dev searches, one at a time, thread CPU ms (median)")
    print(f"depth 50, titles not seen before: {cold:.3f} ms")
    print(
        f"{'depth':>5s} {'no model':>9s} {'ltr':>7s} {'ltr - floor':>11s} {'predict only':>12s} {'rows only':>9s}"
        "   (titles seen before)"
    )
    for depth in DEPTHS:
        floor, cost = median(_cpu_ms(plain, searches, depth)), median(_cpu_ms(ltr, searches, depth))
        predict = median(_predict_ms(ranker, searches, depth))
        rows = median(_rows_floor_ms(searches, depth))
        result[f"ltr@{depth}"] = {
            "median_cpu_ms": cost,
            "floor_cpu_ms": floor,
            "stage_cpu_ms": cost - floor,
            "predict_only_cpu_ms": predict,
            "rows_only_cpu_ms": rows,
            "trees": ranker.booster.num_trees(),
        }
        print(f"{depth:5d} {floor:9.3f} {cost:7.3f} {cost - floor:11.3f} {predict:12.3f} {rows:9.3f}")
    if ranker.log is not None:
        # The same trees and features, the log's left missing: its scores differ, its cost is the point.
        unlogged = RankingStage(dataclasses.replace(ranker, log=None), budget_ms=1e9)
        _cpu_ms(unlogged, warm_up, 50)
        cost = median(_cpu_ms(unlogged, searches, 50))
        result["ltr@50_without_query_log"] = {"median_cpu_ms": cost}
        print(f"depth 50, the query log's features left out: {cost:.3f} ms")
    if args.cross_encoder:
        model = OnnxCrossEncoder.beside(args.model)
        if model is None:
            raise SystemExit(f"No cross-encoder beside {args.model}: train one with `aisle rank cross-encoder`.")
        print(f"{'ce depth':>8s} {'cpu ms':>7s}")
        fits = 0
        for depth in CE_DEPTHS:
            stage = RankingStage(None, budget_ms=1e9, cross_encoder=model, cross_encoder_depth=depth)
            _cpu_ms(stage, warm_up, depth)
            cost = median(_cpu_ms(stage, searches[:200], depth))
            result[f"cross_encoder@{depth}"] = {"median_cpu_ms": cost}
            fits = depth if cost <= args.ce_budget_ms else fits
            print(f"{depth:8d} {cost:7.2f}")
        result["cross_encoder_depth_within_budget"] = {"depth": fits, "budget_cpu_ms": args.ce_budget_ms}
        print(f"cross-encoder depth within {args.ce_budget_ms:g} ms CPU: {fits}")
    print(f"results: {write_result('ranking_stage', {'searches': len(searches), 'stages': result})}")


if __name__ == "__main__":
    main()
