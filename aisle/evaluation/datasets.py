"""Judged query sets: Home Depot (real human labels), TREC qrels with a catalog, the SIMULATED store.

Each query carries its graded judgments and the segments it belongs to, so that every report can
break metrics down by shopper type, cold-start items and query traffic. The split is the one the
encoders train on (`split_of`, seeded by query text), so `test` queries were never trained on.
"""

from __future__ import annotations

import csv
import gzip
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from encoders.training_data import Split, home_depot_grades, read_qrels, split_of
from kernel.catalog import CatalogFormat

__all__ = ["EvalSet", "JudgedQuery", "home_depot_segments", "home_depot_set", "simulated_set", "trec_set"]


@dataclass(frozen=True)
class JudgedQuery:
    """A query, its graded judgments (product id → grade > 0), its shopper and its segments."""

    query_id: str
    text: str
    grades: dict[str, int]
    user_id: str | None = None
    segments: dict[str, str] = field(default_factory=dict)


@dataclass
class EvalSet:
    """A catalog, optional purchase events and shopper profiles, and judged queries over that catalog."""

    name: str
    catalog: Path
    catalog_format: CatalogFormat | None
    queries: list[JudgedQuery]
    events: Path | None = None
    simulated: bool = False
    notes: list[str] = field(default_factory=list)
    profiles: Path | None = None


def _head_queries(texts: list[str], share: float = 0.5) -> set[str]:
    # Head = the most frequent queries that together make up `share` of all searches.
    counts = Counter(" ".join(t.lower().split()) for t in texts)
    head, covered = set(), 0
    for text, count in counts.most_common():
        if covered >= share * len(texts):
            break
        head.add(text)
        covered += count
    return head


def simulated_set(store: Path, split: Split = Split.TEST, seed: int = 13) -> EvalSet:
    """The test searches of a SIMULATED store (`aisle simulate`): ground truth is what was bought."""
    grades = read_qrels(store / "qrels.txt")
    sessions = [json.loads(line) for line in (store / "sessions.jsonl").read_text().splitlines()]
    trained_on = {s["purchased"] for s in sessions if split_of(s["query"], seed) is Split.TRAIN}
    head = _head_queries([s["query"] for s in sessions])
    queries = [
        JudgedQuery(
            s["query_id"],
            s["query"],
            grades[s["query_id"]],
            s["user_id"],
            {
                "shopper": s["segment"],
                "item": "seen in training" if s["purchased"] in trained_on else "cold-start item",
                "traffic": "head" if " ".join(s["query"].lower().split()) in head else "tail",
            },
        )  # fmt: skip
        for s in sessions
        if split_of(s["query"], seed) is split and grades[s["query_id"]]
    ]
    notes = ["SIMULATED store: catalog, shoppers, purchases and searches come from aisle's generative model "
             "(README, 'The simulated store'); no real shopper is behind these figures."]  # fmt: skip
    profiles = store / "profiles.jsonl"
    return EvalSet(
        f"simulated-{store.name}",
        store / "catalog.jsonl",
        None,
        queries,
        store / "events.jsonl",
        True,
        notes,
        profiles if profiles.is_file() else None,
    )


def home_depot_segments(text: str, relevant_seen: bool) -> dict[str, str]:
    """The segments of a Home Depot query: cold-start items, query length, and numbers in the query."""
    return {
        "item": "seen in training" if relevant_seen else "cold-start item",
        "query": "1-2 words" if len(text.split()) <= 2 else "3+ words",
        # Sizes and model numbers ("3/4 in", "r-410a") match exactly in BM25 but blur in a small encoder.
        "number": "has a number" if any(ch.isdigit() for ch in text) else "words only",
    }


def home_depot_set(folder: Path, split: Split = Split.TEST, seed: int = 13) -> EvalSet:
    """Home Depot's real human judgments (mean of ratings 1-3, graded 2 = highly, 1 = somewhat relevant)."""
    by_query: dict[str, dict[str, float]] = defaultdict(dict)
    trained_on: set[str] = set()
    with gzip.open(folder / "judgments.csv.gz", "rt", encoding="utf-8") as rows:
        for row in csv.DictReader(rows):
            where = split_of(row["search_term"], seed)
            if where is split:
                by_query[row["search_term"]][row["product_uid"]] = float(row["relevance"])
            elif where is Split.TRAIN and float(row["relevance"]) >= 2.0:
                trained_on.add(row["product_uid"])
    queries = []
    for n, (text, judged) in enumerate(sorted(by_query.items())):
        graded = home_depot_grades(judged)
        if not graded:
            continue
        segments = home_depot_segments(text, relevant_seen=any(p in trained_on for p in graded))
        queries.append(JudgedQuery(f"hd-{split.value}-{n}", text, graded, None, segments))
    notes = ["Home Depot: real product titles and real graded human judgments; no purchase histories, so "
             "`personalized` is not evaluated. Segments: query length and whether the query has a number "
             "(sizes, model numbers: exact tokens); no traffic counts exist."]  # fmt: skip
    return EvalSet(f"home-depot-{split.value}", folder / "products.csv.gz", CatalogFormat.HOME_DEPOT, queries, None,
                   False, notes)  # fmt: skip


def trec_set(name: str, catalog: Path, queries_file: Path, qrels: Path, events: Path | None = None) -> EvalSet:
    """Any catalog with TREC qrels (`qid 0 docid grade`) and queries (`qid<TAB>text[<TAB>user_id]`)."""
    grades = read_qrels(qrels)
    queries = []
    for line in queries_file.read_text().splitlines():
        if not line.strip():
            continue
        query_id, text, *rest = line.split("\t")
        if grades[query_id]:
            queries.append(JudgedQuery(query_id, text, grades[query_id], rest[0] if rest else None))
    return EvalSet(name, catalog, None, queries, events)
