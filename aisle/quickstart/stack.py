"""The steps of `aisle up`, each skipped when what it would build is already current."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import SecretStr
from rich.console import Console

from aisle.engine import EngineSettings, ManagedNode
from aisle.engine.node import free_port
from aisle.evaluation.datasets import simulated_set
from aisle.quickstart.api_process import api_is_ready, is_api_process, start_api, stop_api
from aisle.quickstart.settings import StackSettings
from aisle.quickstart.state import StackState
from aisle.ranking import RankerJob, train_ranker
from aisle.simulate import StoreConfig, simulate, write_store
from encoders import BASE_MODEL_ID, EncoderSettings, base_model_dir, export_model, get_encoder_settings, load_encoder
from encoders.fine_tune import fine_tune
from encoders.product_vectors import PRODUCT_VECTORS_FILE, ProductVectors
from encoders.ranking import LtrRanker
from encoders.text import ProductTextTemplate
from encoders.training_args import TrainingArgs
from indexer import BuildReport, IndexerSettings, IndexStore, UsersReport, get_indexer_settings
from indexer.ensure import ensure_products, ensure_users
from kernel.catalog import CatalogFormat
from kernel.data import Split
from kernel.digest import file_digest
from kernel.opensearch import ConnectionSettings, make_client, resolve_url
from query_api import QueryApiSettings

__all__ = ["StackReport", "StepReport", "bring_up", "take_down"]

CURRENT = "current, skipped"


@dataclass
class StepReport:
    """One step of `aisle up`: its name, wall time and what it did."""

    name: str
    seconds: float
    outcome: str


@dataclass
class StackReport:
    """What `aisle up` did and where to reach the result."""

    opensearch_url: str = ""
    api_url: str = ""
    model_dir: Path | None = None
    simulated: bool = False
    steps: list[StepReport] = field(default_factory=list)
    indices: dict[str, str] = field(default_factory=dict)  # "products", "users" → the live index

    @property
    def seconds(self) -> float:
        """Wall time of all steps."""
        return sum(step.seconds for step in self.steps)


def _step(report: StackReport, console: Console, name: str, action: Callable[[], str]) -> None:
    console.print(f"[bold]→[/bold] {name}")
    started = time.perf_counter()
    outcome = action()
    report.steps.append(StepReport(name, time.perf_counter() - started, outcome))


def bring_up(
    settings: StackSettings,
    engine: EngineSettings,
    console: Console,
    *,
    catalog: Path | None = None,
    events: Path | None = None,
    catalog_format: str | None = None,
    model: Path | None = None,
) -> StackReport:
    """Build (or bring up to date) the whole stack; without `catalog`, on a SIMULATED store.

    Args:
        settings: Sizes, budgets, ports and the stack's home folder.
        engine: OpenSearch settings; with `url` set that cluster is used, else the managed node.
        console: Where progress goes.
        catalog: The user's catalog (JSONL, CSV or Parquet) instead of the simulated store.
        events: The user's purchase events, for shopper profiles.
        catalog_format: The catalog's format when it cannot be detected (e.g. `home-depot`).
        model: An exported model directory to use instead of fine-tuning.

    Raises:
        AisleError: any step failed; what earlier steps built stays current for the next run.
    """
    settings.home.mkdir(parents=True, exist_ok=True)
    state = StackState(settings.home)
    report = StackReport(simulated=catalog is None)
    indexer = get_indexer_settings().model_copy(update={"rejects_dir": settings.home / "rejects"})
    fmt = CatalogFormat(catalog_format) if catalog_format else None

    def opensearch() -> str:
        if engine.url is not None:
            report.opensearch_url = resolve_url(engine)
            return f"using {report.opensearch_url}"
        node = ManagedNode(engine)
        running = node.running_state()
        report.opensearch_url = (running or node.start(console)).url
        return CURRENT if running else f"started at {report.opensearch_url}"

    _step(report, console, "start OpenSearch", opensearch)
    store_dir = settings.home / "store"
    if catalog is None:
        config = StoreConfig(products=settings.products, shoppers=settings.shoppers, seed=settings.seed)
        catalog, events = store_dir / "catalog.jsonl", store_dir / "events.jsonl"
        _step(report, console, "generate the SIMULATED store", lambda: _simulate(state, config, store_dir))
    report.model_dir = _choose_model(report, console, state, settings, model)
    encoder = load_encoder(get_encoder_settings().model_copy(update={"model_dir": report.model_dir}))
    # The tower step encoded the catalog with this same model and backend: the index takes its vectors.
    reused = encoder.reuse(ProductVectors.load(settings.home / "training" / PRODUCT_VECTORS_FILE))
    store = IndexStore(make_client(engine, report.opensearch_url), indexer)

    def products() -> str:
        assert catalog is not None
        ensured = ensure_products(store, encoder, catalog, indexer, fmt=fmt, console=console)
        report.indices["products"] = ensured.index
        if not isinstance(ensured.build, BuildReport):
            return CURRENT
        load = ensured.build.load
        kept = f", {reused:,} vectors from the tower step" if reused else ""
        return f"{load.indexed:,} products into {ensured.index} ({load.docs_per_second:,.0f} docs/s{kept})"

    _step(report, console, "index the catalog", products)
    if events is not None:
        _step(report, console, "index the shoppers' profiles", lambda: _users(report, store, indexer, events))
    if report.simulated:
        _step(
            report,
            console,
            "train the ranking stage on the store's search log",
            lambda: _ranker(state, report, store_dir, indexer, console),
        )
    _step(report, console, "start the search API", lambda: _api(state, settings, report, indexer))
    return report


def _simulate(state: StackState, config: StoreConfig, store_dir: Path) -> str:
    inputs = {"products": config.products, "shoppers": config.shoppers, "seed": config.seed}
    if state.matches("store", inputs) and (store_dir / "manifest.json").is_file():
        return CURRENT
    store = simulate(config)
    write_store(store, store_dir)
    state.record("store", inputs, folder=str(store_dir))
    return (
        f"{len(store.products):,} products, {len(store.shoppers):,} shoppers, "
        f"{len(store.events):,} purchases, {len(store.sessions):,} searches"
    )


def _choose_model(
    report: StackReport, console: Console, state: StackState, settings: StackSettings, model: Path | None
) -> Path:
    if model is not None:
        _step(report, console, "use the given model", lambda: f"{model}")
        return model
    if report.simulated:
        store_dir = settings.home / "store"
        training = settings.home / "training"

        def train() -> str:
            inputs = {
                "store": file_digest(store_dir / "catalog.jsonl")
                + file_digest(store_dir / "sessions.jsonl")
                + file_digest(store_dir / "events.jsonl"),
                "minutes": settings.train_minutes,
                "max_steps": settings.train_max_steps,
                "seed": settings.seed,
                "eval_products": settings.train_eval_products,
                "user_tower": "frozen-encoder",
            }
            if state.matches("model", inputs) and (training / "model" / "aisle-encoder.json").is_file():
                return CURRENT
            args = TrainingArgs(
                store=store_dir,
                output_dir=training,
                max_minutes=settings.train_minutes,
                max_steps=settings.train_max_steps,
                eval_products=settings.train_eval_products,
                seed=settings.seed,
                # On a simulated store's few thousand searches, fine-tuning the encoder did not beat the
                # base model, while the user tower on the frozen base did (README, "Personalization").
                personalize=True,
                freeze_encoder=True,
                gate_max_weight=2.0,
                batch_size=128,
            )
            tuned = fine_tune(args, console)
            state.record("model", inputs, folder=str(tuned.model_dir))
            first, best = tuned.result.curve[0].get("ndcg@10", 0), tuned.result.best.get("ndcg@10", 0)
            return (
                f"{tuned.result.steps} steps in {tuned.result.seconds:.0f}s, "
                f"personalized dev nDCG@10 {first:.3f} → {best:.3f}"
            )

        _step(report, console, "train the user tower on the store's searches and purchase histories", train)
        return training / "model"
    base = settings.home / "base-model"

    def export_base() -> str:
        inputs = {"model": BASE_MODEL_ID}
        if state.matches("base-model", inputs) and (base / "aisle-encoder.json").is_file():
            return CURRENT
        export_model(base_model_dir(), base, BASE_MODEL_ID, ProductTextTemplate())
        state.record("base-model", inputs, folder=str(base))
        return f"{BASE_MODEL_ID} exported to {base} (no search logs to fine-tune on)"

    _step(report, console, "export the base encoder", export_base)
    return base


def _users(report: StackReport, store: IndexStore, indexer: IndexerSettings, events: Path) -> str:
    ensured = ensure_users(store, events, indexer)
    report.indices["users"] = ensured.index
    if not isinstance(ensured.build, UsersReport):
        return CURRENT
    result = ensured.build
    unknown = sum(result.unknown_products.values())
    return f"{result.users:,} shoppers from {result.events:,} events into {result.index}" + (
        f" ({unknown} events name unknown products)" if unknown else ""
    )


def _ranker(state: StackState, report: StackReport, store_dir: Path, indexer: IndexerSettings, console: Console) -> str:
    """The learned ranker beside the served model, trained on the store's sessions (purchased > clicked > shown)."""
    assert report.model_dir is not None
    inputs = {
        "model": file_digest(report.model_dir / "aisle-encoder.json"),
        "log": file_digest(store_dir / "sessions.jsonl") + file_digest(store_dir / "qrels.txt"),
        "products": report.indices.get("products"),
    }
    if state.matches("ranker", inputs) and LtrRanker.beside(report.model_dir) is not None:
        return CURRENT
    run = train_ranker(
        simulated_set(store_dir, Split.TRAIN),
        simulated_set(store_dir, Split.DEV),
        report.model_dir,
        ConnectionSettings(url=report.opensearch_url),
        labels=RankerJob(store=store_dir).grades(),
        console=console,
        index=(indexer.alias, indexer.users_index),
    )
    state.record("ranker", inputs, folder=str(run.folder))
    dev = run.ranker.card["dev"]
    return (
        f"{run.ranker.card['train']['searches']:,} searches; dev nDCG@10 of the candidates "
        f"{dev['ndcg@10_fused_order']} fused → {dev['ndcg@10_reranked']} re-ranked (SIMULATED)"
    )


def _model_files_digest(model_dir: Path | None) -> str:
    """A digest of what the API loads beside the encoder (ranker, serving defaults, spelling)."""
    found = (
        [
            model_dir / name
            for name in ("ranker/ranker.txt", "ranker/query_log.json.gz", "serving.json", "spelling.json")
        ]
        if model_dir
        else []
    )
    return "".join(file_digest(path) for path in found if path.is_file())


def _served_settings_digest() -> str:
    """A digest of every setting the API process reads (`AISLE_API_*`, `_ENCODER_*`, `_OPENSEARCH_*`, `.env`).

    The API starts from the same environment and folder as `aisle up`: any change of what it enforces
    or how it searches (an API key, a weight, a timeout) changes this digest, and the API is restarted.
    Secrets are part of the digest, never of the state file.
    """
    values = {}
    for settings in (QueryApiSettings(), EncoderSettings(), ConnectionSettings()):
        dumped = settings.model_dump(mode="json")
        for name, value in settings:
            if isinstance(value, SecretStr):
                dumped[name] = value.get_secret_value()
        values[type(settings).__name__] = dumped
    return hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()


def _api(state: StackState, settings: StackSettings, report: StackReport, indexer: IndexerSettings) -> str:
    previous = state.get("api")
    port = settings.api_port or int(previous.get("port") or 0) or free_port()
    inputs = {
        "settings": _served_settings_digest(),
        "opensearch": report.opensearch_url,
        "model": str(report.model_dir),
        "beside_model": _model_files_digest(report.model_dir),
        "host": settings.api_host,
        "port": port,
        "alias": indexer.alias,
        "users": indexer.users_index,
        "built": [report.indices.get("products"), report.indices.get("users")],
    }
    report.api_url = f"http://{settings.api_host}:{port}"
    pid = int(previous.get("pid") or 0)
    if state.matches("api", inputs) and is_api_process(pid) and api_is_ready(report.api_url):
        return CURRENT
    if pid:
        stop_api(pid)
    env = {
        "AISLE_OPENSEARCH_URL": report.opensearch_url,
        "AISLE_ENCODER_MODEL_DIR": str(report.model_dir),
        "AISLE_API_ALIAS": indexer.alias,
        "AISLE_API_USERS_INDEX": indexer.users_index,
    }
    pid = start_api(env, settings.api_host, port, settings.home / "api.log", settings.api_start_timeout_s)
    state.record("api", inputs, pid=pid, port=port)
    return f"pid {pid}, log {settings.home / 'api.log'}"


def take_down(settings: StackSettings, engine: EngineSettings) -> list[str]:
    """Stop what `bring_up` started (the API, then the managed node); names what was stopped."""
    state = StackState(settings.home)
    stopped = []
    pid = int(state.get("api").get("pid") or 0)
    if pid and stop_api(pid):
        stopped.append(f"search API (pid {pid})")
    state.forget("api")
    if engine.url is None and ManagedNode(engine).stop():
        stopped.append("OpenSearch")
    return stopped
