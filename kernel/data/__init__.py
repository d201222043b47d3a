"""The judged data every package reads alike: queries and their judgments, splits, events, metrics."""

from __future__ import annotations

from kernel.data.events import EventLog, PurchaseEvent, read_event_file, read_event_log, read_events, read_profiles
from kernel.data.judgments import (
    JudgedQuery,
    SearchSession,
    home_depot_grades,
    home_depot_queries,
    logged_grades,
    read_home_depot_ratings,
    read_qrels,
    read_sessions,
    simulated_queries,
)
from kernel.data.metrics import RECALL_CUTOFFS, judged_ndcg, mrr, ndcg_at, query_metrics, recall_at, relevant_set
from kernel.data.splits import Split, query_key, split_of

__all__ = [
    "EventLog",
    "JudgedQuery",
    "PurchaseEvent",
    "RECALL_CUTOFFS",
    "SearchSession",
    "Split",
    "home_depot_grades",
    "home_depot_queries",
    "judged_ndcg",
    "logged_grades",
    "mrr",
    "ndcg_at",
    "query_key",
    "query_metrics",
    "read_event_file",
    "read_event_log",
    "read_events",
    "read_home_depot_ratings",
    "read_profiles",
    "read_qrels",
    "read_sessions",
    "recall_at",
    "relevant_set",
    "simulated_queries",
    "split_of",
]
