"""OpenSearch's time for the API's BM25 top 50 with the popularity tie-break term against without it.

For each Home Depot dev query, the bare BM25 query (`multi_match`) and the API's (the same inside a
`function_score` adding 0.01 x log10(1 + popularity)) are sent alternately, after one unmeasured pass,
and OpenSearch's own `took` is kept (whole milliseconds, so the mean says more than the median).

    python -m benchmarks.lexical_tiebreak --index <a Home Depot products index or alias>
"""

from __future__ import annotations

import argparse
import statistics

import httpx

from aisle.evaluation import home_depot_set
from benchmarks.common import data_dir, write_result
from kernel.data import Split
from kernel.opensearch import get_connection_settings, resolve_url
from query_api.search.dsl import lexical

BODY = {"size": 50, "stored_fields": "_none_", "docvalue_fields": ["id"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--index", required=True, help="the index or alias to search")
    args = parser.parse_args()
    queries = [q.text for q in home_depot_set(data_dir() / "home-depot", Split.DEV).queries]
    took: dict[str, list[int]] = {"bm25": [], "bm25 + popularity term": []}
    with httpx.Client(base_url=resolve_url(get_connection_settings()), timeout=30) as client:
        for measured in (False, True):
            for text in queries:
                tie_broken = lexical(text, [])
                for name, query in (
                    ("bm25", tie_broken["function_score"]["query"]),
                    ("bm25 + popularity term", tie_broken),
                ):
                    answer = client.post(f"/{args.index}/_search", json={"query": query, **BODY})
                    answer.raise_for_status()
                    if measured:
                        took[name].append(int(answer.json()["took"]))
    result = {
        name: {"mean_took_ms": round(statistics.mean(xs), 3), "median_took_ms": statistics.median(xs)}
        for name, xs in took.items()
    }
    for name, figures in result.items():
        print(
            f"{name:24s} mean {figures['mean_took_ms']:.3f} ms, median {figures['median_took_ms']} ms "
            f"({len(queries)} queries)"
        )
    print(
        f"results: {write_result('lexical_tiebreak', {'index': args.index, 'queries': len(queries), 'took': result})}"
    )


if __name__ == "__main__":
    main()
