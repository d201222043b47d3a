"""Search API latency on the Home Depot index, beside bare OpenSearch BM25 for the same queries.

    python benchmarks/api_latency.py --model DIR [--requests 10000] [--concurrency 1 4 16]
                                     [--warmup 1000] [--query-cache]

Indexes the Home Depot catalog under alias `products` with the model first, unless the live index
was built from the same catalog, model and settings. It starts `aisle serve` itself, and beside it
the forwarding floor (`benchmarks/forwarding_api.py`: the API's own stack forwarding the bare BM25
body, so its ratio to bare BM25 is what the Python hop alone costs). Shopper histories do not exist
for Home Depot, so the personalized mode runs over SIMULATED shoppers: each buys 3-20 products judged highly relevant
(≥ 2.5) for 1-3 seeded random queries; they are written to the `users` alias first.

Every configuration first runs `--warmup` unmeasured requests with other queries (JIT, OS caches),
then the measured ones. Bare BM25 is measured first and again last at each concurrency, and the
ratio uses its faster pass. Each row also splits the CPU the measured requests took between the load
generator, the API process and OpenSearch (ms of CPU per request; all three share the two cores,
so at concurrency ≥ 2 latency follows their sum). The API's query-vector cache is off unless
`--query-cache`: each mode then encodes every query it gets (the worst case). With it on (and
`--requests` no more than the cache holds) every mode after the first finds its vectors cached.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import gzip
import os
import random
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import orjson
import psutil

from aisle.engine import get_engine_settings
from aisle.engine.node import free_port
from benchmarks.common import data_dir, home_depot_index, write_result
from benchmarks.forwarding_api import bare_bm25_body, bare_hybrid_body
from encoders import get_encoder_settings, load_encoder
from indexer import IndexerSettings, IndexStore, build_users_index
from kernel.catalog.reader import RawRow
from kernel.opensearch import make_client, resolve_url
from kernel.rejects import RejectLog
from query_api.search.service import pipeline_name
from query_api.serving import serving_settings, spelling_corrector
from query_api.settings import QueryApiSettings

MODES = ["bm25", "dense", "hybrid", "personalized"]
BARE = "bare-opensearch-bm25"  # OpenSearch `_search` with the API's BM25 query, no API in between
# The engine floor: OpenSearch `_search` with the API's hybrid body, its query vector computed beforehand.
BARE_HYBRID = "bare-opensearch-hybrid"
FLOOR = "forwarding-floor"  # the same body through uvicorn, FastAPI and opensearch-py, no search logic


def simulated_shoppers(judgments: Path, count: int, seed: int) -> list[RawRow]:
    """SIMULATED purchase events over real Home Depot judgments (see the module docstring)."""
    relevant: dict[str, list[str]] = defaultdict(list)
    with gzip.open(judgments, "rt", encoding="utf-8") as rows:
        for row in csv.DictReader(rows):
            if float(row["relevance"]) >= 2.5:
                relevant[row["search_term"]].append(row["product_uid"])
    queries = sorted(q for q, products in relevant.items() if len(products) >= 2)
    rng = random.Random(seed)
    events, line = [], 0
    for user in range(count):
        pool = [p for q in rng.sample(queries, rng.randint(1, 3)) for p in relevant[q]]
        for day, product in enumerate(rng.choices(pool, k=rng.randint(3, 20))):
            line += 1
            timestamp = f"2026-{1 + day % 12:02d}-{1 + day % 28:02d}T12:00:00Z"
            events.append(RawRow(line, {"user_id": f"sim-{user}", "product_id": product, "timestamp": timestamp}))
    return events


async def run(
    requests: list[tuple[str, Any]], concurrency: int, client: httpx.AsyncClient
) -> tuple[list[float], int, float]:
    latencies: list[float] = []
    errors = 0
    position = 0

    async def worker() -> None:
        nonlocal position, errors
        while position < len(requests):
            method_url, payload = requests[position]
            position += 1
            method, url = method_url.split(" ", 1)
            started = time.perf_counter()
            if method == "GET":
                response = await client.get(url, params=payload)
            elif isinstance(payload, bytes):  # a body serialized beforehand (one carrying a vector)
                response = await client.post(url, content=payload, headers={"content-type": "application/json"})
            else:
                response = await client.post(url, json=payload)
            latencies.append(time.perf_counter() - started)
            errors += response.status_code != 200

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, errors, time.perf_counter() - started


@dataclass(frozen=True)
class EngineFloor:
    """The bare hybrid requests: the API's fusion pipeline and, per query, the body the API would send."""

    pipeline: str
    bodies: dict[str, bytes]


def engine_floor(model: Path, queries: list[str]) -> tuple[EngineFloor, dict[str, Any]]:
    """Each query's hybrid body as the API builds it (spelling corrected, encoded by the configured query tower).

    The query vectors are computed here, before any timing, so the bare requests carry no encoding;
    the thread CPU that encoding and personalizing took here is returned (medians, ms per query).
    """
    settings = serving_settings(QueryApiSettings(), model)
    corrector = spelling_corrector(settings, model)
    encoder = load_encoder(get_encoder_settings().model_copy(update={"model_dir": model, "query_cache_size": 0}))
    bodies: dict[str, bytes] = {}
    encoding: list[float] = []
    personalizing: list[float] = []
    rng = np.random.default_rng(0)
    for q in queries:
        text = corrector.correct(q) if corrector is not None else q
        began = time.thread_time()
        vector = encoder.encode_query(text)
        encoding.append(time.thread_time() - began)
        user = rng.standard_normal(vector.shape[0]).astype(np.float32)
        began = time.thread_time()
        encoder.personalize(vector, user / np.linalg.norm(user), settings.personal_weight)
        personalizing.append(time.thread_time() - began)
        body = bare_hybrid_body(text, vector, settings.pagination_depth)
        bodies[q] = orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY)
    pipeline = pipeline_name(settings.default_fusion, settings.lexical_weight, settings.rank_constant)
    tower = "static" if encoder.query_tower is not None else "transformer"
    cpu = {
        "query_encoding": statistics.median(encoding) * 1000,
        "personalization": statistics.median(personalizing) * 1000,
        "query_tower": tower,
    }
    return EngineFloor(pipeline, bodies), cpu


def percentile(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", type=Path, required=True, help="the exported model the index was built with")
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--shoppers", type=int, default=500)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--warmup", type=int, default=1000, help="unmeasured requests per configuration first")
    parser.add_argument("--query-cache", action="store_true", help="keep the API's query-vector LRU cache on")
    parser.add_argument(
        "--rerank",
        action="store_true",
        help="let the API's ranking stage run (default: rerank=false, the same retrieval as the engine floor)",
    )
    args = parser.parse_args()

    hd = data_dir() / "home-depot"
    engine = get_engine_settings()
    opensearch_url = resolve_url(engine)
    settings = IndexerSettings(max_reject_rate=1.0)
    store = IndexStore(make_client(engine), settings)
    print(f"Home Depot catalog in {home_depot_index(store.client, args.model)} (alias products)", file=sys.stderr)
    users = build_users_index(
        store,
        "products",
        simulated_shoppers(hd / "judgments.csv.gz", args.shoppers, args.seed),
        RejectLog(settings.rejects_dir / "bench-users.jsonl"),
        settings,
    )
    print(f"SIMULATED shoppers: {users.users} written to {users.index} (see the docstring)", file=sys.stderr)

    with gzip.open(hd / "judgments.csv.gz", "rt", encoding="utf-8") as rows:
        queries = sorted({row["search_term"] for row in csv.DictReader(rows)})
    random.Random(args.seed).shuffle(queries)
    args.engine_floor, api_cpu = engine_floor(args.model, queries)
    print(
        f"engine floor: {len(args.engine_floor.bodies):,} hybrid bodies, pipeline {args.engine_floor.pipeline}; "
        f"API CPU per query measured in-process: encoding {api_cpu['query_encoding']:.3f} ms "
        f"({api_cpu['query_tower']}), personalization {api_cpu['personalization']:.3f} ms",
        file=sys.stderr,
    )
    port = free_port()
    env = {**os.environ, "AISLE_ENCODER_MODEL_DIR": str(args.model), "AISLE_API_USERS_INDEX": "users"}
    if not args.query_cache:
        env["AISLE_ENCODER_QUERY_CACHE_SIZE"] = "0"
    floor_port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "aisle.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    floor = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.forwarding_api", "--port", str(floor_port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    api, floor_url = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{floor_port}"
    try:
        _wait_until_ready(f"{api}/ready", "the API; is the Home Depot index built with --model?")
        _wait_until_ready(f"{floor_url}/search?q=drill", "the forwarding floor; is `products` an alias or index?")
        servers = {"api": psutil.Process(server.pid), FLOOR: psutil.Process(floor.pid)}
        results = asyncio.run(measure(args, queries, {"api": api, FLOOR: floor_url}, opensearch_url, servers))
    finally:
        for process in (server, floor):
            process.terminate()
            process.wait()
    summary: dict[str, float] = {}
    if 4 in args.concurrency:
        at4 = [r for r in results if r["concurrency"] == 4]
        bare = min(r["p50_ms"] for r in at4 if r["config"] == BARE)
        personal = next(r for r in at4 if r["config"] == "personalized")
        hybrid = next(r["p50_ms"] for r in at4 if r["config"] == BARE_HYBRID)
        floor_run = next(r for r in at4 if r["config"] == FLOOR)
        api = personal["cpu_ms_per_request"]["api"]
        encoding, personalizing = api_cpu["query_encoding"], api_cpu["personalization"]
        # What the docs' table shows, named: the ratios are only comparable within one run.
        summary = {
            "bare_bm25_p50_ms": bare,
            "bare_hybrid_p50_ms": hybrid,
            "forwarding_floor_p50_ms": floor_run["p50_ms"],
            "personalized_p50_ms": personal["p50_ms"],
            "personalized_over_bare_hybrid": personal["p50_ms"] / hybrid,
            "personalized_over_bare_bm25": personal["p50_ms"] / bare,
            "forwarding_floor_over_bare_bm25": floor_run["p50_ms"] / bare,
            "personalized_api_cpu_ms": api,
            "forwarding_floor_api_cpu_ms": floor_run["cpu_ms_per_request"]["api"],
            "api_cpu_encoding_ms": encoding,
            "api_cpu_personalization_ms": personalizing,
            "api_cpu_rest_ms": api - encoding - personalizing,
        }
        print(
            f"personalized_p50_c4: {personal['p50_ms']:.1f} ms ({summary['personalized_over_bare_bm25']:.2f}x vs "
            f"bare BM25 _search, its faster pass: {bare:.1f} ms)"
        )
        print(
            f"forwarding_floor_p50_c4: {floor_run['p50_ms']:.1f} ms ({summary['forwarding_floor_over_bare_bm25']:.2f}x)"
        )
        print(
            f"personalized / bare hybrid at c=4: {summary['personalized_over_bare_hybrid']:.2f}x (bare hybrid "
            f"{hybrid:.1f} ms); personalized / bare BM25: {summary['personalized_over_bare_bm25']:.2f}x"
        )
        print(
            f"personalized API CPU per search: {api:.2f} ms = encoding {encoding:.2f} + personalization "
            f"{personalizing:.3f} + the rest {summary['api_cpu_rest_ms']:.2f}; forwarding floor "
            f"{summary['forwarding_floor_api_cpu_ms']:.2f} ms"
        )
    path = write_result(
        "api_latency",
        {
            "requests": args.requests,
            "warmup": args.warmup,
            "query_cache": args.query_cache,
            "simulated_shoppers": users.users,
            "rerank": args.rerank,
            "api_cpu_in_process_ms": api_cpu,
            "results": results,
            "summary": summary,
        },
    )
    print(f"results: {path}")


def _wait_until_ready(url: str, what: str) -> None:
    for _ in range(120):
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise SystemExit(f"{url} did not answer 200 within 2 minutes: check {what}")


async def _opensearch_cpu_s(client: httpx.AsyncClient, opensearch_url: str) -> float:
    stats = (await client.get(f"{opensearch_url}/_nodes/stats/process")).json()
    return sum(node["process"]["cpu"]["total_in_millis"] for node in stats["nodes"].values()) / 1000


def _process_cpu_s(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


async def measure(
    args: argparse.Namespace,
    queries: list[str],
    urls: dict[str, str],
    opensearch_url: str,
    servers: dict[str, psutil.Process],
) -> list[dict[str, Any]]:
    """Every configuration at every concurrency; the `api` CPU column is the server that answered it."""
    rng = random.Random(args.seed)
    results = []
    limits = httpx.Limits(max_connections=max(args.concurrency) + 4)
    # Warm-up queries come from the far end of the shuffled list, away from the measured ones; with the
    # cache on they are the measured ones, so that the cache holds exactly those (other queries would push
    # them out of the LRU in the order they are asked, and every lookup would miss).
    warmup_queries = queries if args.query_cache else queries[::-1]
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        for concurrency in args.concurrency:
            # Bare BM25 runs first and again last: on a node started just before, its first pass can still
            # pay for JIT warm-up (once 10.7 ms, 4.2 ms on the next run), which would flatter every ratio.
            for config in [BARE, BARE_HYBRID, FLOOR, *MODES, BARE]:
                server = servers.get(config, servers["api"])
                warmup = [
                    _request(config, warmup_queries[i % len(queries)], args, rng, urls, opensearch_url)
                    for i in range(args.warmup)
                ]
                await run(warmup, concurrency, client)
                requests = [
                    _request(config, queries[i % len(queries)], args, rng, urls, opensearch_url)
                    for i in range(args.requests)
                ]
                cpu_before = (
                    time.process_time(),
                    _process_cpu_s(server),
                    await _opensearch_cpu_s(client, opensearch_url),
                )
                latencies, errors, seconds = await run(requests, concurrency, client)
                cpu_after = (
                    time.process_time(),
                    _process_cpu_s(server),
                    await _opensearch_cpu_s(client, opensearch_url),
                )
                cpu_ms = [
                    (after - before) * 1000 / len(requests) for before, after in zip(cpu_before, cpu_after, strict=True)
                ]
                row = {
                    "config": config,
                    "concurrency": concurrency,
                    "requests": len(latencies),
                    "errors": errors,
                    "throughput_rps": len(latencies) / seconds,
                    "cpu_ms_per_request": {"load_generator": cpu_ms[0], "api": cpu_ms[1], "opensearch": cpu_ms[2]},
                }
                row |= {f"p{p}_ms": percentile(latencies, p) * 1000 for p in (50, 95, 99)}
                results.append(row)
                print(
                    f"{config:22} c={concurrency:<3} p50 {row['p50_ms']:7.1f} ms  p95 {row['p95_ms']:7.1f}  "
                    f"p99 {row['p99_ms']:7.1f}  {row['throughput_rps']:7.1f} req/s  errors {errors}  "
                    f"CPU ms/req: load {cpu_ms[0]:.2f} api {cpu_ms[1]:.2f} opensearch {cpu_ms[2]:.2f}"
                )
    return results


def _request(
    config: str, q: str, args: argparse.Namespace, rng: random.Random, urls: dict[str, str], opensearch_url: str
) -> tuple[str, dict[str, Any]]:
    if config == BARE:
        return f"POST {opensearch_url}/products/_search", bare_bm25_body(q)
    if config == BARE_HYBRID:
        floor: EngineFloor = args.engine_floor
        return f"POST {opensearch_url}/products/_search?search_pipeline={floor.pipeline}", floor.bodies[q]
    if config == FLOOR:
        return f"GET {urls[FLOOR]}/search", {"q": q}
    params: dict[str, Any] = {"q": q, "mode": config, "size": 10}
    if config in ("hybrid", "personalized") and not args.rerank:
        params["rerank"] = "false"
    if config == "personalized":
        params["user_id"] = f"sim-{rng.randrange(args.shoppers)}"
    return f"GET {urls['api']}/search", params


if __name__ == "__main__":
    main()
