"""`aisle eval DATASET`: from raw data to a report (and, with --gate, a pass/fail against a baseline)."""

from __future__ import annotations

import json
import random
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from aisle.cli.console import err, out
from aisle.errors import EvalGateError
from aisle.evaluation.datasets import EvalSet, home_depot_set, simulated_set, trec_set
from aisle.evaluation.gate import regressions
from aisle.evaluation.harness import evaluate, score
from aisle.evaluation.report import write_report
from aisle.evaluation.systems import SYSTEMS
from aisle.simulate import StoreConfig, simulate, write_store
from encoders import BASE_MODEL_ID, base_model_dir, export_model
from encoders.text import ProductTextTemplate
from kernel.data import Split
from kernel.opensearch import get_connection_settings

__all__ = ["eval_command"]


class Dataset(StrEnum):
    """What to evaluate on."""

    SIMULATED = "simulated"
    HOME_DEPOT = "home-depot"
    TREC = "trec"


def _load(
    dataset: Dataset,
    store: Path | None,
    data_dir: Path,
    products: int,
    shoppers: int,
    trec: list[Path],
    out_dir: Path,
    split: Split,
) -> EvalSet:
    if dataset is Dataset.HOME_DEPOT:
        return home_depot_set(data_dir / "home-depot", split)
    if dataset is Dataset.TREC:
        if len(trec) not in (3, 4):
            raise typer.BadParameter("--trec takes CATALOG QUERIES QRELS [EVENTS] (repeat the option)")
        return trec_set(trec[0].stem, *trec)
    if store is None:
        store = out_dir / "store"
        if not (store / "manifest.json").is_file():
            err.print(f"generating a SIMULATED store ({products:,} products, {shoppers:,} shoppers) in {store}")
            write_store(simulate(StoreConfig(products=products, shoppers=shoppers)), store)
    return simulated_set(store, split)


def eval_command(
    dataset: Annotated[Dataset, typer.Argument(help="simulated, home-depot or trec.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Report folder (results.json, report.md/html, PNGs).")],
    model: Annotated[Path | None, typer.Option(help="A fine-tuned, exported model (aisle train … /model).")] = None,
    base_model: Annotated[Path | None, typer.Option(help="The exported base model (default: exported here).")] = None,
    store: Annotated[Path | None, typer.Option(help="A simulated store folder (default: generate one).")] = None,
    products: Annotated[int, typer.Option(help="Size of a generated store.")] = 50_000,
    shoppers: Annotated[int, typer.Option(help="Shoppers of a generated store.")] = 2_000,
    data_dir: Annotated[Path, typer.Option(envvar="AISLE_DATA_DIR", help="Folder with home-depot/.")] = Path(
        "../shared/data"
    ),
    trec: Annotated[list[Path] | None, typer.Option(help="CATALOG, QUERIES (tsv), QRELS [, EVENTS] for trec.")] = None,
    system: Annotated[
        list[str] | None, typer.Option(help=f"Systems to run (default all): {', '.join(SYSTEMS)}.")
    ] = None,
    sample: Annotated[int, typer.Option(help="Evaluate a fixed random sample of N queries (0: all).")] = 0,
    gate: Annotated[Path | None, typer.Option(help="A baseline results.json; fail when a metric drops.")] = None,
    tolerance: Annotated[float, typer.Option(help="Largest allowed drop below the baseline.")] = 0.02,
    rebuild: Annotated[bool, typer.Option(help="Rebuild the evaluation indices even when present.")] = False,
    seed: Annotated[int, typer.Option(help="Seed of the sample and the bootstrap.")] = 0,
    split: Annotated[
        Split, typer.Option(help="Query split (home-depot, simulated): test for reports, dev for tuning.")
    ] = Split.TEST,
    lexical_weight: Annotated[
        float | None, typer.Option(min=0, max=1, help="BM25 weight in min-max fusion (default: the API's).")
    ] = None,
) -> None:
    """Evaluate the systems on a dataset through the API's search code and write a report."""
    unknown = sorted(set(system or []) - set(SYSTEMS))
    if unknown:
        raise typer.BadParameter(f"unknown system(s) {', '.join(unknown)}; choose from {', '.join(SYSTEMS)}")
    if split is Split.TRAIN:
        raise typer.BadParameter("--split train would score queries the encoder was trained on; use dev or test")
    eval_set = _load(dataset, store, data_dir, products, shoppers, trec or [], out_dir, split)
    if lexical_weight is not None:
        eval_set.notes.append(f"Min-max fusion with BM25 weight {lexical_weight}.")
    if sample and sample < len(eval_set.queries):
        eval_set.queries = sorted(random.Random(seed).sample(eval_set.queries, sample), key=lambda q: q.query_id)
        eval_set.notes.append(f"A fixed random sample of {sample} queries (seed {seed}).")
    if base_model is None:
        base_model = out_dir / "base-model"
        if not (base_model / "aisle-encoder.json").is_file():
            export_model(base_model_dir(), base_model, BASE_MODEL_ID, ProductTextTemplate())
    run = evaluate(
        eval_set,
        get_connection_settings(),
        base_model=base_model,
        finetuned_model=model,
        systems=system,
        rebuild=rebuild,
        lexical_weight=lexical_weight,
        console=err,
    )
    results = score(run, seed=seed)
    card = model.parent / "model_card.json" if model else None
    files = write_report(results, out_dir, model_card=card if card and card.is_file() else None)
    for name, data in results["systems"].items():
        m = data["metrics"]
        out.print(
            f"{name:20} nDCG@10 {m['ndcg@10']['mean']:.4f}  Recall@24 {m['recall@24']['mean']:.4f}  "
            f"Recall@100 {m['recall@100']['mean']:.4f}  MRR {m['mrr']['mean']:.4f}"
        )
    out.print(f"report: {files['markdown']} and {files['html']}; results: {files['json']}")
    if gate is not None:
        found = regressions(results, json.loads(gate.read_text()), tolerance)
        if found:
            raise EvalGateError(
                f"{len(found)} metric(s) dropped more than {tolerance} below {gate}: "
                + "; ".join(str(r) for r in found)
            )
        out.print(f"gate: no metric dropped more than {tolerance} below {gate}")
