"""Judged queries and the files they come from: TREC qrels, Home Depot's ratings, a SIMULATED store's searches.

Training ranks its dev checkpoints with these queries and evaluation scores systems with them, so
both read the files here, the same way.
"""

from __future__ import annotations

import csv
import gzip
import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from kernel.data.splits import Split, split_of

__all__ = [
    "JudgedQuery",
    "SearchSession",
    "home_depot_grades",
    "home_depot_queries",
    "read_home_depot_ratings",
    "read_qrels",
    "read_sessions",
    "simulated_queries",
]


@dataclass(frozen=True)
class JudgedQuery:
    """A query, its graded judgments (product id → grade > 0), who searched (search logs) and its segments."""

    query_id: str
    text: str
    grades: dict[str, int]
    user_id: str | None = None
    segments: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SearchSession:
    """One search in a store's log: who searched what, what they were shown, clicked and bought."""

    query_id: str
    user_id: str
    query: str
    purchased: str
    shown: tuple[str, ...] = ()
    clicked: frozenset[str] = frozenset()
    segment: str = ""
    timestamp: str = ""


def read_qrels(path: Path) -> defaultdict[str, dict[str, int]]:
    """TREC qrels (`qid 0 docid grade`) as query id → product id → grade, positive grades only."""
    grades: defaultdict[str, dict[str, int]] = defaultdict(dict)
    for line in path.read_text().splitlines():
        if line.strip():
            query_id, _, product_id, grade = line.split()
            if int(grade) > 0:
                grades[query_id][product_id] = int(grade)
    return grades


def logged_grades(store: Path) -> dict[str, dict[str, int]]:
    """Each logged search's graded products: purchased 2 > clicked 1 (shown-only products are ungraded)."""
    return {s.query_id: {**dict.fromkeys(s.clicked, 1), s.purchased: 2} for s in read_sessions(store)}


def read_sessions(store: Path) -> list[SearchSession]:
    """The searches of a SIMULATED store (`sessions.jsonl`), in order."""
    sessions = []
    for line in (store / "sessions.jsonl").read_text().splitlines():
        if line.strip():
            row = json.loads(line)
            sessions.append(
                SearchSession(
                    query_id=row["query_id"],
                    user_id=row["user_id"],
                    query=row["query"],
                    purchased=row["purchased"],
                    shown=tuple(row.get("shown", ())),
                    clicked=frozenset(row.get("clicked", ())),
                    segment=row.get("segment", ""),
                    timestamp=row.get("timestamp", ""),
                )
            )
    return sessions


def simulated_queries(
    sessions: list[SearchSession], qrels: dict[str, dict[str, int]], split: Split, seed: int = 13
) -> list[JudgedQuery]:
    """The judged searches of one split, each with its shopper (segments are the evaluation's to add)."""
    return [
        JudgedQuery(s.query_id, s.query, qrels[s.query_id], s.user_id)
        for s in sessions
        if split_of(s.query, seed) is split and qrels.get(s.query_id)
    ]


def read_home_depot_ratings(judgments: Path) -> dict[str, dict[str, float]]:
    """Home Depot's `judgments.csv.gz` as search term → product id → mean human rating (1-3)."""
    ratings: dict[str, dict[str, float]] = defaultdict(dict)
    with gzip.open(judgments, "rt", encoding="utf-8") as rows:
        for row in csv.DictReader(rows):
            ratings[row["search_term"]][row["product_uid"]] = float(row["relevance"])
    return dict(ratings)


def home_depot_grades(ratings: dict[str, float]) -> dict[str, int]:
    """Mean Home Depot ratings (1-3) as grades: 2 highly, 1 somewhat relevant, barely relevant left out."""
    return {product: round(r) - 1 for product, r in ratings.items() if round(r) > 1}


def home_depot_queries(ratings: dict[str, dict[str, float]], split: Split, seed: int = 13) -> list[JudgedQuery]:
    """The queries of one split with at least one graded product, in text order (ids `hd-<split>-<n>`)."""
    in_split = sorted((text, judged) for text, judged in ratings.items() if split_of(text, seed) is split)
    queries = []
    for n, (text, judged) in enumerate(in_split):
        graded = home_depot_grades(judged)
        if graded:
            queries.append(JudgedQuery(f"hd-{split.value}-{n}", text, graded))
    return queries
