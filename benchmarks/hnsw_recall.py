"""HNSW quality as built: approximate vs exact k-NN on the Home Depot test queries.

Exact k-NN is the k-NN plugin's `knn_score` script over every product. Prints how often the HNSW
top 10 / top 100 hold the exact ones and nDCG@10 of both, for an index built with `--model`.
"""

from __future__ import annotations

import argparse
import statistics
from pathlib import Path

from aisle.engine import get_engine_settings
from aisle.evaluation import home_depot_set
from benchmarks.common import data_dir, home_depot_index, write_result
from encoders import EncoderSettings, load_encoder
from kernel.data import ndcg_at
from kernel.opensearch import make_client


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, required=True, help="the exported model the index was built with")
    parser.add_argument("--index", default="products", help="index or alias built from the Home Depot catalog")
    args = parser.parse_args()

    queries = home_depot_set(data_dir() / "home-depot").queries
    encoder = load_encoder(EncoderSettings(model_dir=args.model))
    client = make_client(get_engine_settings())
    if args.index == "products":
        home_depot_index(client, args.model)
    overlap10, overlap100, approximate, exact = [], [], [], []
    for query in queries:
        vector = [round(float(x), 6) for x in encoder.encode_query(query.text)]
        knn = {"knn": {"vector": {"vector": vector, "k": 100}}}
        script = {
            "script_score": {
                "query": {"match_all": {}},
                "script": {
                    "source": "knn_score",
                    "lang": "knn",
                    "params": {"field": "vector", "query_value": vector, "space_type": "innerproduct"},
                },
            }
        }
        ann, ex = (
            [
                h["_id"]
                for h in client.search(index=args.index, body={"size": 100, "_source": False, "query": q})["hits"][
                    "hits"
                ]
            ]
            for q in (knn, script)
        )
        overlap10.append(len(set(ann[:10]) & set(ex[:10])) / 10)
        overlap100.append(len(set(ann) & set(ex)) / 100)
        approximate.append(ndcg_at(ann, query.grades))
        exact.append(ndcg_at(ex, query.grades))
    settings = client.indices.get_settings(index=args.index)
    mapping = next(iter(client.indices.get_mapping(index=args.index).values()))["mappings"]
    method = mapping["properties"]["vector"]["method"]
    result = {
        "index": next(iter(settings)),
        "method": method,
        "queries": len(queries),
        "top10_overlap": statistics.fmean(overlap10),
        "top100_overlap": statistics.fmean(overlap100),
        "ndcg@10_hnsw": statistics.fmean(approximate),
        "ndcg@10_exact": statistics.fmean(exact),
    }
    path = write_result("hnsw_recall", result)
    print(f"{result['index']} ({method.get('parameters')}): {len(queries)} test queries")
    print(f"top-10 overlap with exact k-NN: {result['top10_overlap']:.4f}; top-100: {result['top100_overlap']:.4f}")
    print(f"nDCG@10: HNSW {result['ndcg@10_hnsw']:.4f}, exact {result['ndcg@10_exact']:.4f}")
    print(f"results: {path}")


if __name__ == "__main__":
    main()
