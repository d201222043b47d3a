"""What the API serves with: its settings over the model directory's measured defaults, and its ranking stage.

One place for both, so that `aisle eval`'s `default` system searches exactly as `/search` does.
"""

from __future__ import annotations

from pathlib import Path

from encoders.ranking import LtrRanker
from encoders.ranking.cross_encoder import OnnxCrossEncoder
from encoders.serving import ServingDefaults
from kernel.spelling import SpellingCorrector
from query_api.search.ranking import RankingStage
from query_api.settings import QueryApiSettings

__all__ = ["ranking_stage", "serving_settings", "spelling_corrector"]


def serving_settings(settings: QueryApiSettings, model_dir: Path | None) -> QueryApiSettings:
    """`settings`, with every field the environment (or caller) did not set taken from `serving.json`."""
    defaults = ServingDefaults.load(model_dir)
    if defaults is None:
        return settings
    known = set(QueryApiSettings.model_fields)
    update = {k: v for k, v in defaults.settings.items() if k in known and k not in settings.model_fields_set}
    return QueryApiSettings.model_validate(settings.model_dump() | update) if update else settings


def ranking_stage(settings: QueryApiSettings, model_dir: Path | None) -> RankingStage:
    """The second stage from the models beside the encoder (or `AISLE_API_RANKER_DIR`), as the settings say."""
    ranker = LtrRanker.load(settings.ranker_dir) if settings.ranker_dir else LtrRanker.beside(model_dir)
    cross_encoder = OnnxCrossEncoder.beside(model_dir, threads=1) if settings.cross_encoder_depth else None
    depth = ranker.cross_encoder_depth if ranker is not None and ranker.cross_encoder_depth else None
    return RankingStage(ranker, settings.rerank_budget_ms, cross_encoder, depth or settings.cross_encoder_depth)


def spelling_corrector(settings: QueryApiSettings, model_dir: Path | None) -> SpellingCorrector | None:
    """The catalog vocabulary's corrector saved beside the model, unless `AISLE_API_SPELLING` is off."""
    return SpellingCorrector.load(model_dir) if settings.spelling else None
