"""`aisle train`: fine-tune on a simulated store or on Home Depot judgments, then export for serving."""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress

from encoders.errors import TrainingDataError
from encoders.export import export_model
from encoders.histories import read_demographics, read_histories
from encoders.loading import BASE_MODEL_ID, base_model_dir
from encoders.text import DEFAULT_TEMPLATE, ProductTextTemplate
from encoders.training import CHECKPOINT, TrainingResult, train
from encoders.training_args import Batching, NegativeStrategy, TowerTargets, TrainingArgs
from encoders.training_data import Split, home_depot_examples, simulated_store_examples
from encoders.user_tower_training import train_user_tower
from kernel.product import Product

__all__ = ["FineTuned", "fine_tune", "train_command"]

out = Console(soft_wrap=True)
err = Console(stderr=True)


def _catalog(path: Path, home_depot: bool) -> dict[str, Product]:
    from kernel.catalog import CatalogFormat, read_products

    rows = read_products(path, CatalogFormat.HOME_DEPOT if home_depot and path.name == "products.csv.gz" else None)
    return {p.id: p for p in (Product.model_validate(r.fields) for r in rows if r.fields)}


def train_command(
    out_dir: Annotated[Path, typer.Option("--out", help="Output: checkpoint/, model/ (serving export), curves, card.")],
    store: Annotated[Path | None, typer.Option(help="A simulated store folder (aisle simulate).")] = None,
    home_depot: Annotated[Path | None, typer.Option(help="A folder with products.csv.gz and judgments.csv.gz.")] = None,
    catalog: Annotated[
        Path | None, typer.Option(help="Products file replacing the data's own (e.g. with assigned categories).")
    ] = None,
    sampler: Annotated[NegativeStrategy, typer.Option(help="Negative sampler.")] = NegativeStrategy.TB_HNS,
    negatives: Annotated[int, typer.Option(help="Hard negatives per example.")] = 2,
    batching: Annotated[
        Batching, typer.Option(help="random, or taxonomy: in-batch negatives from neighbouring branches.")
    ] = Batching.RANDOM,
    taxonomy_run: Annotated[int, typer.Option(help="taxonomy batching: examples of one branch in a row.")] = 8,
    epochs: Annotated[int, typer.Option(help="Epochs.")] = 1,
    batch_size: Annotated[int, typer.Option(help="Batch size.")] = 32,
    learning_rate: Annotated[float, typer.Option(help="AdamW learning rate.")] = 3e-5,
    positive_at: Annotated[
        float,
        typer.Option(min=1.0, max=3.0, help="Home Depot: mean rating (1-3) from which a judged product is a positive."),
    ] = 2.5,
    max_steps: Annotated[int, typer.Option(help="Stop after N steps (0: none).")] = 0,
    max_minutes: Annotated[float, typer.Option(help="Stop after N minutes (0: none).")] = 0.0,
    eval_every: Annotated[int, typer.Option(help="Dev evaluation every N steps.")] = 200,
    eval_products: Annotated[int, typer.Option(help="Dev corpus: judged products + a sample (0: all).")] = 0,
    seed: Annotated[int, typer.Option(help="Seed (shuffling, sampling, split).")] = 13,
    mined_depth: Annotated[int, typer.Option(help="bm25/ance: negatives come from the top N mined.")] = 30,
    ance_refresh_every: Annotated[int, typer.Option(help="ance: steps between product re-encodings.")] = 200,
    ance_pool: Annotated[int, typer.Option(help="ance: products in the mined index (0: all).")] = 10_000,
    ranking_weight: Annotated[float, typer.Option(help="mmse: weight of the stage-order ranking loss.")] = 0.0,
    template: Annotated[str, typer.Option(help="Product text template.")] = DEFAULT_TEMPLATE,
    personalize: Annotated[
        bool, typer.Option(help="Train the user gate end to end on the store's purchase histories.")
    ] = False,
    history_dropout: Annotated[float, typer.Option(help="personalize: share of examples without history.")] = 0.3,
    freeze_encoder: Annotated[
        bool, typer.Option(help="personalize: keep the encoder as it is; train only the user projection and gate.")
    ] = False,
    tower_epochs: Annotated[int, typer.Option(help="freeze-encoder: passes over the training searches.")] = 10,
    gate_max_weight: Annotated[float, typer.Option(help="personalize: largest weight of the user vector.")] = 1.0,
    tower_targets: Annotated[
        TowerTargets, typer.Option(help="freeze-encoder: learn to pull up judged, clicked or only purchased products.")
    ] = TowerTargets.JUDGED,
) -> None:
    """Fine-tune the encoder with MultipleNegativesRanking loss and the chosen sampler, then export it."""
    if (store is None) == (home_depot is None):
        raise typer.BadParameter("give exactly one of --store or --home-depot")
    args = TrainingArgs(output_dir=out_dir, sampler=sampler, negatives=negatives, batching=batching,
                        taxonomy_run=taxonomy_run, epochs=epochs, batch_size=batch_size,
                        learning_rate=learning_rate, positive_at=positive_at,
                        max_steps=max_steps, max_minutes=max_minutes, eval_every=eval_every, seed=seed,
                        eval_products=eval_products, mined_depth=mined_depth, ance_refresh_every=ance_refresh_every,
                        ance_pool=ance_pool, ranking_weight=ranking_weight, template=template,
                        personalize=personalize, history_dropout=history_dropout, freeze_encoder=freeze_encoder,
                        tower_epochs=tower_epochs, gate_max_weight=gate_max_weight,
                        tower_targets=tower_targets)  # fmt: skip
    tuned = fine_tune(args, store=store, home_depot=home_depot, catalog=catalog)
    start, best = tuned.result.curve[0], tuned.result.best
    ndcg = f"{start.get('ndcg@10', 0):.4f} → {best.get('ndcg@10', 0):.4f}"
    recall = f"{start.get('recall@100', 0):.4f} → {best.get('recall@100', 0):.4f}"
    out.print(f"{tuned.result.steps} steps in {tuned.result.seconds:.0f}s; dev nDCG@10 {ndcg}, Recall@100 {recall}")
    out.print(f"serve it: AISLE_ENCODER_MODEL_DIR={tuned.model_dir}")


def _search_time(store: Path) -> dt.datetime:
    # Purchases are aged at the time of the searches, as the users index ages them at indexing time.
    with (store / "sessions.jsonl").open() as sessions:
        return dt.datetime.fromisoformat(json.loads(sessions.readline())["timestamp"])


@dataclass
class FineTuned:
    """A fine-tuned, exported model and how training went."""

    model_dir: Path
    result: TrainingResult


def fine_tune(
    args: TrainingArgs, *, store: Path | None = None, home_depot: Path | None = None, catalog: Path | None = None
) -> FineTuned:
    """Fine-tune the base model on a simulated store or on Home Depot, then export it to `output_dir/model`.

    `catalog` replaces the data's products file, e.g. Home Depot with assigned categories for TB-HNS.
    """
    out_dir, sampler, seed = args.output_dir, args.sampler, args.seed
    if args.freeze_encoder and not args.personalize:
        raise TrainingDataError("--freeze-encoder trains only the user tower: add --personalize (and a --store).")
    started = time.perf_counter()
    histories = demographics = None
    if store is not None:
        products = _catalog(catalog or store / "catalog.jsonl", home_depot=False)
        examples, _ = simulated_store_examples(store, products, Split.TRAIN, seed)
        _, dev = simulated_store_examples(store, products, Split.DEV, seed)
        source = f"SIMULATED store {store}"
        if args.personalize:
            histories = read_histories(store / "events.jsonl", _search_time(store))
            if (store / "profiles.jsonl").is_file() and args.freeze_encoder:
                demographics = read_demographics(store / "profiles.jsonl")
            elif (store / "profiles.jsonl").is_file():
                err.print("profiles.jsonl not used: demographics are learned with --freeze-encoder only")
    else:
        assert home_depot is not None
        products = _catalog(catalog or home_depot / "products.csv.gz", home_depot=True)
        examples, _ = home_depot_examples(
            home_depot / "judgments.csv.gz", products, Split.TRAIN, seed, positive_at=args.positive_at
        )
        _, dev = home_depot_examples(home_depot / "judgments.csv.gz", products, Split.DEV, seed)
        source = f"Home Depot {home_depot}"
    template = ProductTextTemplate(args.template)
    items = list(products.values())
    err.print(f"training on {source}: {len(examples):,} examples, {len(dev):,} dev queries, {len(items):,} products")
    with Progress(console=err) as bar:
        task = bar.add_task("training", total=None)

        def show(step: int, total: int, loss: float) -> None:
            bar.update(task, completed=step, total=total, description=f"training (loss {loss:.3f})")

        if args.freeze_encoder:
            result = train_user_tower(base_model_dir(), examples, items, dev, args, template, histories or {}, show,
                                      demographics)  # fmt: skip
        else:
            result = train(base_model_dir(), examples, items, dev, args, template, progress=show, histories=histories)
    # A frozen encoder keeps the base's name and weights, hence its fingerprint: its indices stay valid.
    name = BASE_MODEL_ID if args.freeze_encoder else f"aisle-{sampler.value}-{seed}"
    fingerprint = export_model(out_dir / CHECKPOINT, out_dir / "model", name, template)
    card = json.loads((out_dir / "model_card.json").read_text())
    card |= {
        "data": source,
        "fingerprint": fingerprint.to_dict(),
        "total_seconds": round(time.perf_counter() - started, 1),
    }
    (out_dir / "model_card.json").write_text(json.dumps(card, indent=2))
    return FineTuned(out_dir / "model", result)
