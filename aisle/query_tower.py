"""`aisle encoders query-tower`: a static query tower for a model, on Home Depot's judgments or a SIMULATED log.

The products are encoded once with the model exactly as the indexer encodes them (same template,
same backend), so the tower learns against the vectors the index holds; it is saved beside the model
(`<model>/query-tower/`) with a card naming that product encoder, and its arguments beside it replay
the run (`aisle encoders query-tower --replay <model>/query-tower/query_tower_args.json`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from rich.console import Console

from aisle.evaluation.datasets import EvalSet, home_depot_set, simulated_set
from encoders import EncoderSettings, load_encoder
from encoders.errors import TrainingDataError
from encoders.fine_tune import read_catalog
from encoders.query_tower import QUERY_TOWER_DIR, StaticQueryTower
from encoders.query_tower_training import QueryTowerArgs, TowerSearch, distil_tower, train_query_tower
from kernel.data import Split, logged_grades, query_key
from kernel.rejects import RejectLog

__all__ = ["QueryTowerJob", "QueryTowerRun"]


@dataclass(frozen=True)
class QueryTowerRun:
    """A trained tower, where it was saved, and its card."""

    tower: StaticQueryTower
    folder: Path


@dataclass
class QueryTowerJob(QueryTowerArgs):
    """Settings of `aisle encoders query-tower`: the model, the judged or logged searches, the training."""

    model: Path | None = field(
        default=None, metadata={"help": "The exported model whose product vectors the index holds."}
    )
    home_depot: Path | None = field(
        default=None, metadata={"help": "A folder with Home Depot's products.csv.gz and judgments.csv.gz."}
    )
    store: Path | None = field(default=None, metadata={"help": "A SIMULATED store folder (aisle simulate)."})

    def _sets(self) -> tuple[Path, EvalSet, EvalSet, dict[str, dict[str, int]] | None]:
        if self.model is None:
            raise TrainingDataError("Name the model whose products the tower is for: --model DIR.")
        if (self.home_depot is None) == (self.store is None):
            raise TrainingDataError("Give exactly one of --home-depot DIR (judgments) or --store DIR (a search log).")
        if self.home_depot is not None:
            return (
                self.model,
                home_depot_set(self.home_depot, Split.TRAIN),
                home_depot_set(self.home_depot, Split.DEV),
                None,
            )
        assert self.store is not None
        logged = logged_grades(self.store)
        return self.model, simulated_set(self.store, Split.TRAIN), simulated_set(self.store, Split.DEV), logged

    def run(self, console: Console) -> QueryTowerRun:
        """Distil, train and save the tower beside the model, with these arguments."""
        model_dir, train, dev, logged = self._sets()
        encoder = load_encoder(EncoderSettings(model_dir=model_dir, query_cache_size=0))
        rejects = RejectLog(model_dir / QUERY_TOWER_DIR / "rejects.jsonl")
        try:
            products = list(read_catalog(train.catalog, train.catalog_format, rejects).values())
        finally:
            rejects.close()
        if rejects.total:
            console.print(f"{rejects.total:,} rows rejected (not trained on); each with its reason in {rejects.path}")
        if not products:
            raise TrainingDataError(f"{train.catalog} has no valid product.")
        console.print(f"encoding {len(products):,} products as the index holds them ({encoder.backend.value})")
        vectors = encoder.encode_products(products)
        ids = [p.id for p in products]

        def searches(eval_set: EvalSet) -> list[TowerSearch]:
            grades = (lambda q: logged.get(q.query_id, {})) if logged is not None else (lambda q: q.grades)
            return [TowerSearch(query_key(q.text), grades(q)) for q in eval_set.queries if grades(q)]

        console.print(f"distilling the static tower from {model_dir}")
        tower = distil_tower(model_dir, self.max_tokens)
        args = QueryTowerArgs(**{f.name: getattr(self, f.name) for f in fields(QueryTowerArgs)})
        trained, record = train_query_tower(
            tower, searches(train), searches(dev), vectors, ids, encoder.encode_texts, args, console.print
        )
        card: dict[str, Any] = {
            "name": f"{encoder.fingerprint.model_id}-static-query-tower",
            "product_encoder": encoder.fingerprint.value,
            "data": train.name.rsplit("-", 1)[0],
            "simulated": train.simulated,
            "dimension": trained.dimension,
            "vocabulary": int(trained.table.shape[0]),
            **record,
        }
        tower = StaticQueryTower(trained.model, card, self.max_tokens)
        folder = model_dir / QUERY_TOWER_DIR
        tower.save(folder)
        self.to_json(folder / "query_tower_args.json")
        return QueryTowerRun(tower, folder)
