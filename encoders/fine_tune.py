"""A whole training run: read the data `TrainingArgs` names, train, and export the best checkpoint for serving."""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

from encoders.errors import TrainingDataError
from encoders.export import export_model
from encoders.histories import Purchase, purchases_at
from encoders.loading import BASE_MODEL_ID, base_model_dir
from encoders.runs import CHECKPOINT, TrainingResult
from encoders.text import ProductTextTemplate
from encoders.training import train
from encoders.training_args import TrainingArgs
from encoders.training_data import home_depot_examples, simulated_store_examples
from encoders.user_tower_training import train_user_tower
from kernel.catalog import CatalogFormat, RowValidator, read_products
from kernel.data import Split, read_event_file, read_event_log, read_profiles, read_sessions
from kernel.product import Product
from kernel.progress import progress_for
from kernel.rejects import RejectLog

__all__ = ["FineTuned", "fine_tune", "read_catalog", "search_time"]


@dataclass
class FineTuned:
    """A fine-tuned, exported model and how training went."""

    model_dir: Path
    result: TrainingResult


def read_catalog(path: Path, fmt: CatalogFormat | None, rejects: RejectLog) -> dict[str, Product]:
    """The catalog's valid products by id, validated as the indexer validates them; the rest go to `rejects`."""
    validator = RowValidator()
    products: dict[str, Product] = {}
    for row in read_products(path, fmt):
        outcome = validator.validate(row)
        if isinstance(outcome, Product):
            products[outcome.id] = outcome
        else:
            rejects.add(outcome)
    if not products:
        raise TrainingDataError(f"{path} has no valid product; there is nothing to train on (see {rejects.path}).")
    return products


def search_time(store: Path) -> dt.datetime:
    """When a simulated store's searches happened: purchases are aged then, as the users index ages them."""
    sessions = read_sessions(store)
    if not sessions:
        raise TrainingDataError(f"{store / 'sessions.jsonl'} has no searches to train on.")
    return dt.datetime.fromisoformat(sessions[0].timestamp)


def fine_tune(args: TrainingArgs, console: Console | None = None) -> FineTuned:
    """Fine-tune the base model on `args.store` or `args.home_depot`, then export it to `output_dir/model`.

    `args.catalog` replaces the data's products file, e.g. Home Depot with assigned categories for TB-HNS.
    Rows of the catalog, events and profiles that fail validation are reported in `output_dir/rejects.jsonl`.

    Raises:
        TrainingDataError: no data or both data sources, options that do not go together, no valid products.
    """
    console = console or Console(stderr=True)
    if (args.store is None) == (args.home_depot is None):
        raise TrainingDataError("Give exactly one of --store (a simulated store) or --home-depot (its folder).")
    if args.freeze_encoder and not args.personalize:
        raise TrainingDataError("--freeze-encoder trains only the user tower: add --personalize (and a --store).")
    started = time.perf_counter()
    args.output_dir.mkdir(parents=True, exist_ok=True)
    rejects = RejectLog(args.output_dir / "rejects.jsonl")
    histories: dict[str, list[Purchase]] | None = None
    demographics: dict[str, dict[str, str]] | None = None
    try:
        if args.store is not None:
            store = args.store
            products = read_catalog(args.catalog or store / "catalog.jsonl", None, rejects)
            examples, _ = simulated_store_examples(store, products, Split.TRAIN, args.seed)
            _, dev = simulated_store_examples(store, products, Split.DEV, args.seed)
            source = f"SIMULATED store {store}"
            if args.personalize:
                histories = purchases_at(read_event_log(store / "events.jsonl", rejects).histories, search_time(store))
                profiles = store / "profiles.jsonl"
                if profiles.is_file() and args.freeze_encoder:
                    demographics, _ = read_profiles(read_event_file(profiles), rejects)
                elif profiles.is_file():
                    console.print("profiles.jsonl not used: demographics are learned with --freeze-encoder only")
        else:
            assert args.home_depot is not None
            path = args.catalog or args.home_depot / "products.csv.gz"
            fmt = CatalogFormat.HOME_DEPOT if path.name == "products.csv.gz" else None
            products = read_catalog(path, fmt, rejects)
            judgments = args.home_depot / "judgments.csv.gz"
            examples, _ = home_depot_examples(judgments, products, Split.TRAIN, args.seed, args.positive_at)
            _, dev = home_depot_examples(judgments, products, Split.DEV, args.seed)
            source = f"Home Depot {args.home_depot}"
    finally:
        rejects.close()
    if rejects.total:
        console.print(f"{rejects.total:,} rows rejected (not trained on); each with its reason in {rejects.path}")
    template = ProductTextTemplate(args.template)
    items = list(products.values())
    console.print(
        f"training on {source}: {len(examples):,} examples, {len(dev):,} dev queries, {len(items):,} products"
    )
    with progress_for(console) as bar:
        task = bar.add_task("training", total=None)

        def show(step: int, total: int, loss: float) -> None:
            bar.update(task, completed=step, total=total, description=f"training (loss {loss:.3f})")

        if args.freeze_encoder:
            result = train_user_tower(
                base_model_dir(), examples, items, dev, args, template, histories or {}, show, demographics
            )
        else:
            result = train(base_model_dir(), examples, items, dev, args, template, progress=show, histories=histories)
    # A frozen encoder keeps the base's name and weights, hence its fingerprint: its indices stay valid.
    name = BASE_MODEL_ID if args.freeze_encoder else f"aisle-{args.sampler.value}-{args.seed}"
    fingerprint = export_model(args.output_dir / CHECKPOINT, args.output_dir / "model", name, template)
    card_path = args.output_dir / "model_card.json"
    card = json.loads(card_path.read_text())
    card |= {
        "data": source,
        "fingerprint": fingerprint.to_dict(),
        "total_seconds": round(time.perf_counter() - started, 1),
    }
    card_path.write_text(json.dumps(card, indent=2))
    return FineTuned(args.output_dir / "model", result)
