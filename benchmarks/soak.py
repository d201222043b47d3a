"""A bounded soak of the search API: mixed modes at a fixed concurrency for a fixed time, on loopback.

    python -m benchmarks.soak [--minutes 30] [--concurrency 8] [--products 20000] [--shoppers 1000]

Builds (or reuses, while its inputs are unchanged) a SIMULATED store's indices with the base model,
starts `aisle serve` on them, and replays the store's own searches (their head/tail mix of queries,
each with its shopper) round-robin over bm25, dense, hybrid and personalized until the time is up.
Every minute it records requests, errors, p50/p99 and the API's resident memory; the summary compares
the API's RSS once the caches have filled (after the first fifth of the run) with its RSS at the end.
The catalog, shoppers and searches are SIMULATED.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import psutil
from rich.console import Console

from aisle.engine import free_port
from aisle.simulate import StoreConfig, simulate, write_store
from benchmarks.common import RESULTS, exported_base_model, write_result
from encoders import EncoderSettings, load_encoder
from indexer import IndexerSettings, IndexStore
from indexer.ensure import ensure_products, ensure_users
from kernel.data import read_sessions
from kernel.opensearch import get_connection_settings, make_client, resolve_url

MODES = ["bm25", "dense", "hybrid", "personalized"]


def _percentile(values: list[float], p: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1] if len(values) > 1 else values[0]


def _store(products: int, shoppers: int) -> Path:
    folder = RESULTS / "soak" / f"store-{products}-{shoppers}"
    if not (folder / "manifest.json").is_file():
        write_store(simulate(StoreConfig(products=products, shoppers=shoppers)), folder)
    return folder


async def _soak(
    url: str, searches: list[tuple[str, str]], minutes: float, concurrency: int, api: psutil.Process
) -> list[dict[str, Any]]:
    cycle = itertools.cycle(itertools.product(searches, MODES))
    minute: dict[str, Any] = {"latencies": [], "errors": 0, "statuses": {}}
    windows: list[dict[str, Any]] = []
    deadline = time.monotonic() + minutes * 60
    window_end = time.monotonic() + 60
    limits = httpx.Limits(max_connections=concurrency + 2)

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal minute, window_end
        while time.monotonic() < deadline:
            (query, user), mode = next(cycle)
            params = {"q": query, "mode": mode, "size": 10, **({"user_id": user} if mode == "personalized" else {})}
            started = time.perf_counter()
            try:
                response = await client.get(f"{url}/search", params=params)
                status = response.status_code
            except httpx.HTTPError as exc:
                status = type(exc).__name__
            minute["latencies"].append(time.perf_counter() - started)
            if status != 200:
                minute["errors"] += 1
                minute["statuses"][str(status)] = minute["statuses"].get(str(status), 0) + 1
            if time.monotonic() >= window_end:
                window_end += 60
                closed, minute = minute, {"latencies": [], "errors": 0, "statuses": {}}
                windows.append(_summary(closed, api, len(windows) + 1))
                print(_line(windows[-1]), flush=True)

    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
    if minute["latencies"]:
        windows.append(_summary(minute, api, len(windows) + 1))
    return windows


def _summary(window: dict[str, Any], api: psutil.Process, number: int) -> dict[str, Any]:
    latencies = window["latencies"]
    return {
        "minute": number,
        "requests": len(latencies),
        "errors": window["errors"],
        "statuses": window["statuses"],
        "p50_ms": _percentile(latencies, 50) * 1000,
        "p99_ms": _percentile(latencies, 99) * 1000,
        "api_rss_mib": api.memory_info().rss / 2**20,
    }


def _line(w: dict[str, Any]) -> str:
    return (
        f"minute {w['minute']:3}: {w['requests']:6} requests, {w['errors']} errors, p50 {w['p50_ms']:6.1f} ms, "
        f"p99 {w['p99_ms']:6.1f} ms, API RSS {w['api_rss_mib']:6.1f} MiB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--products", type=int, default=20_000)
    parser.add_argument("--shoppers", type=int, default=1_000)
    args = parser.parse_args()

    store = _store(args.products, args.shoppers)
    model = exported_base_model()
    connection = get_connection_settings()
    settings = IndexerSettings(
        alias="soak-products", users_index="soak-users", rejects_dir=RESULTS / "soak" / "rejects"
    )
    index_store = IndexStore(make_client(connection), settings)
    encoder = load_encoder(EncoderSettings(model_dir=model))
    ensure_products(index_store, encoder, store / "catalog.jsonl", settings, console=Console(stderr=True))
    ensure_users(index_store, store / "events.jsonl", settings)
    searches = [(s.query, s.user_id) for s in read_sessions(store)]

    port = free_port()
    env = {
        **os.environ,
        "AISLE_OPENSEARCH_URL": resolve_url(connection),
        "AISLE_ENCODER_MODEL_DIR": str(model),
        "AISLE_API_ALIAS": settings.alias,
        "AISLE_API_USERS_INDEX": settings.users_index,
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "aisle.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                if httpx.get(f"{url}/ready", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(1)
        else:
            raise SystemExit("the API did not become ready within 2 minutes")
        api = psutil.Process(server.pid)
        started_rss = api.memory_info().rss / 2**20
        windows = asyncio.run(_soak(url, searches, args.minutes, args.concurrency, api))
    finally:
        server.terminate()
        server.wait(timeout=30)
    warm = windows[max(len(windows) // 5 - 1, 0)]
    total = sum(w["requests"] for w in windows)
    errors = sum(w["errors"] for w in windows)
    result = {
        "simulated": True,
        "note": "SIMULATED store: catalog, shoppers and searches come from aisle's generative model.",
        "minutes": args.minutes,
        "concurrency": args.concurrency,
        "products": args.products,
        "searches_replayed": len(searches),
        "requests": total,
        "errors": errors,
        "median_p50_ms": statistics.median(w["p50_ms"] for w in windows),
        "median_p99_ms": statistics.median(w["p99_ms"] for w in windows),
        "api_rss_mib": {
            "at_start": started_rss,
            "after_warm_up": warm["api_rss_mib"],
            "at_end": windows[-1]["api_rss_mib"],
        },
        "windows": windows,
    }
    path = write_result("soak", result)
    rss = result["api_rss_mib"]
    print(
        f"soak (SIMULATED store): {total:,} requests in {args.minutes:g} min at concurrency {args.concurrency}, "
        f"{errors} errors; per-minute p50 {result['median_p50_ms']:.1f} ms, p99 {result['median_p99_ms']:.1f} ms "
        f"(medians); API RSS {rss['at_start']:.0f} MiB at start, {rss['after_warm_up']:.0f} after warm-up, "
        f"{rss['at_end']:.0f} at the end; {path}"
    )


if __name__ == "__main__":
    main()
