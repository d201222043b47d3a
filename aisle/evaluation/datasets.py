"""Judged query sets: Home Depot (real human labels), TREC qrels with a catalog, the SIMULATED store.

Each query carries its graded judgments and the segments it belongs to, so that every report can
break metrics down by shopper type, cold-start items and query traffic. The split is the one the
encoders train on (`split_of`, seeded by query text), so `test` queries were never trained on.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

from kernel.catalog import CatalogFormat
from kernel.data import (
    JudgedQuery,
    Split,
    home_depot_queries,
    query_key,
    read_home_depot_ratings,
    read_qrels,
    read_sessions,
    simulated_queries,
    split_of,
)

__all__ = ["EvalSet", "home_depot_segments", "home_depot_set", "simulated_set", "trec_set"]


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
    counts = Counter(query_key(t) for t in texts)
    head, covered = set(), 0
    for text, count in counts.most_common():
        if covered >= share * len(texts):
            break
        head.add(text)
        covered += count
    return head


def simulated_set(store: Path, split: Split = Split.TEST, seed: int = 13) -> EvalSet:
    """The test searches of a SIMULATED store (`aisle simulate`): ground truth is what was bought."""
    sessions = read_sessions(store)
    by_id = {s.query_id: s for s in sessions}
    trained_on = {s.purchased for s in sessions if split_of(s.query, seed) is Split.TRAIN}
    head = _head_queries([s.query for s in sessions])
    queries = [
        replace(
            query,
            segments={
                "shopper": by_id[query.query_id].segment,
                "item": "seen in training" if by_id[query.query_id].purchased in trained_on else "cold-start item",
                "traffic": "head" if query_key(query.text) in head else "tail",
            },
        )
        for query in simulated_queries(sessions, read_qrels(store / "qrels.txt"), split, seed)
    ]
    notes = [
        "SIMULATED store: catalog, shoppers, purchases and searches come from aisle's generative model "
        "(README, 'The simulated store'); no real shopper is behind these figures."
    ]
    profiles = store / "profiles.jsonl"
    return EvalSet(
        # The split in the name keeps anything keyed by it (candidate caches, serving.json) apart per split.
        f"simulated-{store.name}-{split.value}",
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
    ratings = read_home_depot_ratings(folder / "judgments.csv.gz")
    trained_on = {
        product
        for text, judged in ratings.items()
        if split_of(text, seed) is Split.TRAIN
        for product, rating in judged.items()
        if rating >= 2.0
    }
    queries = [
        replace(q, segments=home_depot_segments(q.text, relevant_seen=any(p in trained_on for p in q.grades)))
        for q in home_depot_queries(ratings, split, seed)
    ]
    notes = [
        "Home Depot: real product titles and real graded human judgments; no purchase histories, so "
        "`personalized` is not evaluated. Segments: query length and whether the query has a number "
        "(sizes, model numbers: exact tokens); no traffic counts exist."
    ]
    return EvalSet(
        f"home-depot-{split.value}", folder / "products.csv.gz", CatalogFormat.HOME_DEPOT, queries, None, False, notes
    )


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
