"""Prometheus metrics of one app instance (its own registry, so several apps can live in one process)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

__all__ = ["ApiMetrics"]


class _CacheCollector(Collector):
    def __init__(self, caches: dict[str, Callable[[], tuple[int, int]]]) -> None:
        self._caches = caches

    def collect(self) -> Iterable[CounterMetricFamily]:
        hits = CounterMetricFamily("aisle_cache_hits", "Cache hits by cache", labels=["cache"])
        misses = CounterMetricFamily("aisle_cache_misses", "Cache misses by cache", labels=["cache"])
        for name, stats in self._caches.items():
            hit, miss = stats()
            hits.add_metric([name], hit)
            misses.add_metric([name], miss)
        yield hits
        yield misses


class ApiMetrics:
    """Request latency by mode, errors by code, the ranking stage's outcomes and time, and cache hit counts."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.latency = Histogram(
            "aisle_search_latency_seconds",
            "Search latency by mode used",
            ["mode"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0),
        )
        self.errors = Counter("aisle_errors", "Error answers by code", ["code"], registry=self.registry)
        self.ranking = Counter(
            "aisle_ranking", "Hybrid searches by what the ranking stage did", ["outcome"], registry=self.registry
        )
        self.ranking_latency = Histogram(
            "aisle_ranking_stage_seconds",
            "Time in the ranking stage (features, cross-encoder, ranker), for searches it ran on",
            registry=self.registry,
            buckets=(0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1),
        )

    def watch_caches(self, caches: dict[str, Callable[[], tuple[int, int]]]) -> None:
        """Export (hits, misses) of each named cache."""
        self.registry.register(_CacheCollector(caches))
