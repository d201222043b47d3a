"""The API latency benchmark's floor: the search API's stack doing nothing but forwarding one query.

    python -m benchmarks.forwarding_api --port PORT [--index products]

`GET /search?q=…` sends OpenSearch exactly the body the benchmark's bare BM25 `_search` sends it,
through the same client as the API (`make_client`: opensearch-py, pooled, orjson), from a sync route
on the same uvicorn and FastAPI, and answers OpenSearch's JSON as parsed and written again. Its p50
over bare BM25 is what one Python service hop costs on this machine before any search logic;
`benchmarks/api_latency.py` starts it beside `aisle serve`.
"""

from __future__ import annotations

import argparse
from typing import Annotated, Any

import numpy as np
import numpy.typing as npt
import orjson
import uvicorn
from fastapi import FastAPI, Query, Response
from opensearchpy import OpenSearch

from aisle.engine import get_engine_settings
from kernel.opensearch import make_client
from query_api.search import dsl


def bare_bm25_body(q: str) -> dict[str, Any]:
    """The API's BM25 query for `q` with no filters, top 10, the fields a hit carries."""
    return dsl.page(dsl.lexical(q, []), 0, 10, {})


def bare_hybrid_body(q: str, vector: npt.NDArray[np.float32], depth: int) -> dict[str, Any]:
    """The API's one-request hybrid search for `q` and its query vector, no filters, top 10.

    Sent with the API's named fusion pipeline (`search_pipeline=aisle-minmax-<weight>`), it is what
    OpenSearch does for aisle's `hybrid` when the fusion runs in OpenSearch: the engine's share of it.
    """
    return dsl.page(dsl.hybrid(q, vector, depth, []), 0, 10, {})


def create_app(index: str, client: OpenSearch | None = None) -> FastAPI:
    """An app with the one forwarding route; the client defaults to the API's, from AISLE_OPENSEARCH_ settings."""
    client = client or make_client(get_engine_settings())
    app = FastAPI(title="aisle forwarding floor (benchmark only)")

    @app.get("/search")
    def search(q: Annotated[str, Query(min_length=1)]) -> Response:
        return Response(orjson.dumps(client.search(index=index, body=bare_bm25_body(q))), media_type="application/json")

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--index", default="products")
    args = parser.parse_args()
    # Run as `aisle serve` runs the API: loopback, no access log.
    uvicorn.run(create_app(args.index), host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
