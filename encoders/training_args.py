"""Every knob of a training run, in one dataclass.

`aisle train`'s options are derived from it, and the `train_args.json` written next to the model
replays the run (`aisle train --replay FILE`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from encoders.arguments import ReplayableArgs
from encoders.text import DEFAULT_TEMPLATE

__all__ = ["Batching", "NegativeStrategy", "TowerTargets", "TrainingArgs"]


class NegativeStrategy(StrEnum):
    """Which sampler supplies hard negatives."""

    IN_BATCH = "in-batch"
    RANDOM = "random"
    BM25 = "bm25"
    ANCE = "ance"
    TB_HNS = "tb-hns"
    MMSE = "mmse"


class TowerTargets(StrEnum):
    """Which products a user tower learns to pull up for a search, beside the purchased one."""

    JUDGED = "judged"  # every product judged relevant for the query
    CLICKED = "clicked"  # the products clicked on the search's result page (search logs)
    PURCHASED = "purchased"  # the purchased product alone


class Batching(StrEnum):
    """How examples are grouped into batches (the batch's other positives are in-batch negatives)."""

    RANDOM = "random"
    TAXONOMY = "taxonomy"


@dataclass
class TrainingArgs(ReplayableArgs):
    """Settings of `aisle train`: the data, the sampler and loss, the budget, the seed.

    A field's `metadata` holds its `help`, and optionally `flag` (the option's name when it is not the
    field's), `min` and `max` (bounds the command line checks).
    """

    store: Path | None = field(default=None, metadata={"help": "A simulated store folder (aisle simulate)."})
    home_depot: Path | None = field(
        default=None, metadata={"help": "A folder with Home Depot's products.csv.gz and judgments.csv.gz."}
    )
    catalog: Path | None = field(
        default=None, metadata={"help": "Products file replacing the data's own (e.g. with assigned categories)."}
    )
    output_dir: Path = field(
        default=Path("models/finetuned"),
        metadata={"help": "Output: checkpoint/, model/ (serving export), curves, card.", "flag": "--out"},
    )
    sampler: NegativeStrategy = field(default=NegativeStrategy.TB_HNS, metadata={"help": "Negative sampler."})
    negatives: int = field(default=2, metadata={"help": "Hard negatives per example."})
    batching: Batching = field(
        default=Batching.RANDOM,
        metadata={"help": "random, or taxonomy: in-batch negatives from neighbouring branches."},
    )
    taxonomy_run: int = field(default=8, metadata={"help": "Taxonomy batching: examples of one branch in a row."})
    sibling_share: float = field(default=0.75, metadata={"help": "TB-HNS: share of negatives from sibling leaves."})
    mined_depth: int = field(default=30, metadata={"help": "BM25/ANCE: negatives come from the top N mined."})
    ance_refresh_every: int = field(default=200, metadata={"help": "ANCE: steps between product re-encodings."})
    ance_pool: int = field(default=10_000, metadata={"help": "ANCE: products in the mined index (0: all)."})
    ranking_weight: float = field(
        default=0.0, metadata={"help": "MMSE: weight of the ranking loss over stage order (0: MNRL only)."}
    )
    ranking_margin: float = field(default=0.1, metadata={"help": "MMSE: ranking margin in cosine units."})
    personalize: bool = field(
        default=False, metadata={"help": "Train the user gate end to end on purchase histories (simulated store)."}
    )
    history_dropout: float = field(default=0.3, metadata={"help": "Share of examples trained without history."})
    gate_max_weight: float = field(default=1.0, metadata={"help": "Largest weight of the user vector."})
    gate_learning_rate: float = field(default=1e-2, metadata={"help": "AdamW learning rate of the user gate."})
    freeze_encoder: bool = field(
        default=False,
        metadata={"help": "With --personalize: train only the user projection and gate, on fixed vectors."},
    )
    tower_epochs: int = field(default=10, metadata={"help": "--freeze-encoder: passes over the training searches."})
    tower_targets: TowerTargets = field(
        default=TowerTargets.JUDGED, metadata={"help": "--freeze-encoder: judged, clicked or purchased products."}
    )
    tower_learning_rate: float = field(default=1e-3, metadata={"help": "--freeze-encoder: AdamW learning rate."})
    history_half_life_days: float = field(default=90.0, metadata={"help": "Recency pooling of histories."})
    epochs: int = field(default=1, metadata={"help": "Passes over the training examples."})
    batch_size: int = field(default=32, metadata={"help": "Examples per step (in-batch negatives grow with it)."})
    learning_rate: float = field(default=3e-5, metadata={"help": "AdamW learning rate."})
    positive_at: float = field(
        default=2.5,
        metadata={
            "help": "Home Depot: the mean rating (1-3) from which a judged product is a positive.",
            "min": 1.0,
            "max": 3.0,
        },
    )
    warmup_ratio: float = field(default=0.1, metadata={"help": "Share of steps with a rising learning rate."})
    scale: float = field(default=20.0, metadata={"help": "MultipleNegativesRanking similarity scale."})
    max_seq_length: int = field(default=64, metadata={"help": "Tokens kept per text."})
    max_steps: int = field(default=0, metadata={"help": "Stop after this many steps (0: no limit)."})
    max_minutes: float = field(default=0.0, metadata={"help": "Stop after this much wall time (0: no limit)."})
    eval_every: int = field(default=200, metadata={"help": "Dev evaluation every N steps (0: once per epoch)."})
    eval_products: int = field(
        default=0,
        metadata={
            "help": "Dev corpus size: the judged products plus a seeded sample of others (0: the whole catalog)."
        },
    )
    template: str = field(
        default=DEFAULT_TEMPLATE,
        metadata={"help": "Product text template; '{title}' keeps assigned categories out of the text."},
    )
    seed: int = field(default=13, metadata={"help": "Seed of shuffling, sampling and the split."})
