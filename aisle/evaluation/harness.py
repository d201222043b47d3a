"""Run systems over a judged query set through the API's search service and score them."""

from __future__ import annotations

import datetime as dt
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console

from aisle.evaluation.datasets import EvalSet
from aisle.evaluation.statistics import bootstrap_ci, paired_p_value
from aisle.evaluation.systems import SYSTEMS, ModelRole, Stage, System
from encoders import Encoder, EncoderSettings, load_encoder
from encoders.ranking import LtrRanker
from encoders.ranking.cross_encoder import OnnxCrossEncoder
from indexer import IndexerSettings, IndexStore
from indexer.ensure import ensure_products, ensure_users
from kernel.data import RECALL_CUTOFFS, JudgedQuery, query_metrics, recall_at, relevant_set
from kernel.digest import file_digest
from kernel.opensearch import ConnectionSettings, make_client
from kernel.progress import progress_for
from kernel.spelling import SpellingCorrector
from query_api.schemas import Mode, SearchRequest
from query_api.search import ProfileCache, SearchBackend, SearchService
from query_api.search.ranking import RankingStage
from query_api.serving import ranking_stage, serving_settings, spelling_corrector
from query_api.settings import QueryApiSettings

__all__ = ["DEPTH", "EvalRun", "evaluate", "index_eval_set", "score", "search_service"]

DEPTH = 100
# Pairs tested for a difference: each system against BM25, personalization against its fallback,
# fine-tuned against base.
_PAIRS = [
    ("personalized", "hybrid-minmax"),
    ("hybrid-minmax", "hybrid-minmax-base"),
    ("dense-finetuned", "dense-base"),
    ("hybrid-minmax", "hybrid-rrf"),
]


@dataclass
class EvalRun:
    """Rankings of every system for every query, and the indices they came from."""

    eval_set: EvalSet
    rankings: dict[str, dict[str, list[str]]]
    latencies_ms: dict[str, float]
    models: dict[str, str]
    indices: dict[str, str]


def index_eval_set(
    store: IndexStore, eval_set: EvalSet, encoder: Encoder, settings: IndexerSettings, console: Console, rebuild: bool
) -> tuple[str, str | None]:
    """The product alias (and users alias) built from this set with this encoder, reused when current."""
    # Named after what the index depends on (not the split: dev and test share it), so that sets and
    # models evaluated one after another each keep their own index.
    inputs = [file_digest(f)[:12] for f in (eval_set.catalog, eval_set.events, eval_set.profiles) if f is not None]
    catalog = eval_set.catalog.name.split(".")[0]
    tag = f"eval-{catalog}-{encoder.fingerprint.value}-{'-'.join(inputs)}".lower()
    tag = "".join(c if c.isalnum() else "-" for c in tag)[:120]
    own = settings.model_copy(update={"alias": tag, "users_index": f"{tag}-users", "max_reject_rate": 1.0})
    products = ensure_products(
        store, encoder, eval_set.catalog, own, fmt=eval_set.catalog_format, console=console, rebuild=rebuild
    )
    if not products.reused:
        console.print(f"indexed {eval_set.catalog} with {encoder.fingerprint.value} into alias {tag}")
    if eval_set.events is None:
        return tag, None
    ensure_users(store, eval_set.events, own, profiles=eval_set.profiles, rebuild=rebuild)
    return tag, own.users_index


def search_service(
    backend: SearchBackend,
    encoder: Encoder,
    settings: QueryApiSettings,
    ranking: RankingStage | None = None,
    spelling: SpellingCorrector | None = None,
) -> SearchService:
    """The API's search service over `settings.alias`, with `ranking` as its second stage."""
    profiles = ProfileCache(backend, settings.users_index, settings.user_cache_ttl_s, settings.user_cache_size)
    service = SearchService(backend, encoder, profiles, settings, ranking, spelling)
    service.prepare()
    return service


def _stage_available(stage: Stage, model_dir: Path) -> bool:
    if stage is Stage.CROSS_ENCODER:
        return OnnxCrossEncoder.beside(model_dir) is not None
    return stage is not Stage.LTR or LtrRanker.beside(model_dir) is not None


# The re-ranked systems measure rankings, not this machine's load: the ranking stage's time budget (a
# serving guard, measured in benchmarks/ranking_stage.py) would make a busy machine's figures differ
# run to run. `default` keeps the API's budget: it is what `/search` serves, fallbacks included.
EVAL_BUDGET_MS = 60_000.0


def _service_for(
    stage: Stage, backend: SearchBackend, encoder: Encoder, alias: str, users: str | None, model_dir: Path
) -> SearchService:
    """The search service a system of `stage` searches with.

    `default` gets the API's own settings over `serving.json`, its ranking stage and its spelling
    correction, exactly as `/search` (its time budget included); the rest fetch `DEPTH` results, and the
    re-ranked ones take the first-stage weight, depths and query correction their models were trained with.
    Systems without a second stage search the query as typed (so `bm25` stays the plain baseline).
    """
    users_index = users or "no-users"
    if stage is Stage.SERVED:
        settings = serving_settings(QueryApiSettings(alias=alias, users_index=users_index), model_dir)
        spelling = spelling_corrector(settings, model_dir)
        return search_service(backend, encoder, settings, ranking_stage(settings, model_dir), spelling)
    plain = QueryApiSettings(
        alias=alias, users_index=users_index, pagination_depth=DEPTH, max_size=DEPTH, rerank_budget_ms=EVAL_BUDGET_MS
    )
    if stage is Stage.NONE:
        return search_service(backend, encoder, plain)
    settings = serving_settings(plain, model_dir)
    ranking = ranking_stage(settings, model_dir)
    if stage is Stage.CROSS_ENCODER:
        ranking = RankingStage(None, settings.rerank_budget_ms, ranking.cross_encoder, settings.cross_encoder_depth)
    return search_service(backend, encoder, settings, ranking, spelling_corrector(settings, model_dir))


def evaluate(
    eval_set: EvalSet,
    engine: ConnectionSettings,
    *,
    base_model: Path,
    finetuned_model: Path | None = None,
    systems: list[str] | None = None,
    rebuild: bool = False,
    lexical_weight: float | None = None,
    console: Console | None = None,
) -> EvalRun:
    """Index the set's catalog once per model (reused when present), then rank every query with every system.

    Every ranking comes from `SearchService.search`, the code behind the API's `/search`;
    `lexical_weight` overrides the API's BM25 weight in min-max fusion.
    """
    console = console or Console(stderr=True)
    models = {ModelRole.BASE: base_model, ModelRole.FINETUNED: finetuned_model or base_model}
    wanted = [SYSTEMS[name] for name in (systems or list(SYSTEMS))]
    if finetuned_model is None:
        # Without a fine-tuned model the "finetuned" systems would repeat the base ones.
        wanted = [s for s in wanted if s.name not in ("dense-finetuned", "hybrid-minmax-base")]
    if eval_set.events is None:
        wanted = [s for s in wanted if s.mode is not Mode.PERSONALIZED]
    wanted = [s for s in wanted if _stage_available(s.stage, models[s.model])]  # no model trained for it
    client = make_client(engine)
    store = IndexStore(client, IndexerSettings())
    backend = SearchBackend(client)
    encoders: dict[ModelRole, Encoder] = {}
    services: dict[tuple[ModelRole, Stage], SearchService] = {}
    indices: dict[str, str] = {}
    for role in {s.model for s in wanted}:
        encoder = encoders[role] = load_encoder(EncoderSettings(model_dir=models[role]))
        alias, users = index_eval_set(store, eval_set, encoder, IndexerSettings(), console, rebuild)
        indices[role.value] = alias
        for stage in {s.stage for s in wanted if s.model is role}:
            services[role, stage] = _service_for(stage, backend, encoder, alias, users, models[role])
    rankings: dict[str, dict[str, list[str]]] = {}
    latencies: dict[str, float] = {}
    with progress_for(console) as progress:
        for system in wanted:
            task = progress.add_task(system.name, total=len(eval_set.queries))
            ranked, took = {}, []
            for query in eval_set.queries:
                started = time.perf_counter()
                ranked[query.query_id] = _rank(services[system.model, system.stage], system, query, lexical_weight)
                took.append((time.perf_counter() - started) * 1000)
                progress.advance(task)
            rankings[system.name] = ranked
            latencies[system.name] = statistics.median(took) if took else 0.0
    names = {role.value: encoders[role].fingerprint.value for role in encoders}
    return EvalRun(eval_set, rankings, latencies, names, indices)


def _rank(service: SearchService, system: System, query: JudgedQuery, lexical_weight: float | None) -> list[str]:
    request = SearchRequest.model_validate(
        {
            "q": query.text,
            "size": DEPTH,
            "mode": system.mode,
            "fusion": system.fusion,
            "lexical_weight": lexical_weight if system.stage is Stage.NONE else None,
            "user_id": query.user_id if system.mode in (None, Mode.PERSONALIZED) else None,
            "max_per_brand": system.max_per_brand,
        }
    )
    if system.stage is Stage.SERVED:
        request = request.model_copy(update={"size": service.settings.max_size})
    return [hit.id for hit in service.search(request).hits]


def score(run: EvalRun, *, resamples: int = 1000, seed: int = 0) -> dict[str, Any]:
    """Metrics of a run as the JSON `aisle eval` writes: means with bootstrap CIs, segments, tests."""
    queries = run.eval_set.queries
    per_query = {
        name: [query_metrics(ranked[q.query_id], q.grades) for q in queries] for name, ranked in run.rankings.items()
    }
    systems: dict[str, Any] = {}
    for name, rows in per_query.items():
        metrics = {}
        for metric in rows[0] if rows else {}:
            values = [row[metric] for row in rows]
            low, high = bootstrap_ci(values, resamples=resamples, seed=seed)
            metrics[metric] = {"mean": statistics.fmean(values), "ci95": [low, high]}
        curve = (
            [
                statistics.fmean(recall_at(run.rankings[name][q.query_id], relevant_set(q.grades), k) for q in queries)
                for k in range(1, DEPTH + 1)
            ]
            if queries
            else []
        )
        systems[name] = {
            "metrics": metrics,
            "segments": _segments(queries, rows),
            "recall_curve": curve,
            "median_latency_ms": run.latencies_ms[name],
        }
    tests = []
    pairs = [(a, "bm25") for a in per_query if a != "bm25"] + _PAIRS
    for a, b in pairs:
        if a in per_query and b in per_query:
            for metric in ("ndcg@10", "recall@24"):
                va, vb = [r[metric] for r in per_query[a]], [r[metric] for r in per_query[b]]
                difference = statistics.fmean(va) - statistics.fmean(vb)
                p_value = paired_p_value(va, vb, seed=seed)
                tests.append({"a": a, "b": b, "metric": metric, "difference": difference, "p_value": p_value})
    return {
        "dataset": run.eval_set.name,
        "simulated": run.eval_set.simulated,
        "notes": run.eval_set.notes,
        "queries": len(queries),
        "depth": DEPTH,
        "recall_cutoffs": list(RECALL_CUTOFFS),
        "models": run.models,
        "indices": run.indices,
        "systems": systems,
        "paired_tests": tests,
        "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def _segments(queries: list[JudgedQuery], rows: list[dict[str, float]]) -> dict[str, dict[str, dict[str, float]]]:
    out: dict[str, dict[str, dict[str, float]]] = {}
    for dimension in sorted({d for q in queries for d in q.segments}):
        groups: dict[str, list[dict[str, float]]] = {}
        for query, row in zip(queries, rows, strict=True):
            if dimension in query.segments:
                groups.setdefault(query.segments[dimension], []).append(row)
        out[dimension] = {
            value: {"queries": float(len(group)), **{m: statistics.fmean(r[m] for r in group) for m in group[0]}}
            for value, group in sorted(groups.items())
        }
    return out
