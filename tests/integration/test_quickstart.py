from __future__ import annotations

from importlib import resources

from rich.console import Console

from aisle.opensearch import EngineSettings
from aisle.quickstart import SAMPLE_INDEX, bring_up
from tests.support.engine import TestEngine


def test_bring_up_against_a_configured_cluster_loads_a_searchable_sample(opensearch: TestEngine) -> None:
    sample = resources.files("aisle").joinpath("data", "sample_products.jsonl").read_text(encoding="utf-8")
    report = bring_up(EngineSettings(url=opensearch.url), Console(quiet=True))
    try:
        assert report.url == opensearch.url
        assert [name for name, _ in report.steps] == [f"load the sample index '{SAMPLE_INDEX}'"]
        body = {"query": {"match": {"title": "drills"}}}
        hits = opensearch.client.search(index=SAMPLE_INDEX, body=body)["hits"]["hits"]
        assert hits and all("drill" in hit["_source"]["title"].lower() for hit in hits)
        # Running it again replaces the sample rather than adding to it.
        bring_up(EngineSettings(url=opensearch.url), Console(quiet=True))
        assert opensearch.client.count(index=SAMPLE_INDEX)["count"] == len(sample.strip().splitlines())
    finally:
        opensearch.client.indices.delete(index=SAMPLE_INDEX, ignore_unavailable=True)
