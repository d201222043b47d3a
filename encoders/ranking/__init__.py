"""The ranking stage's models: candidate features, the LightGBM ranker, the cross-encoder, and how each is trained."""

from __future__ import annotations

from encoders.ranking.cross_encoder import OnnxCrossEncoder, candidate_text
from encoders.ranking.cross_encoder_training import CrossEncoderArgs, DevSearch, Pair, training_pairs
from encoders.ranking.features import FEATURES, Candidate, Lexicon, QueryContext, Taste, features, tokens
from encoders.ranking.ltr import LtrRanker
from encoders.ranking.ltr_training import LtrArgs, RankingExample, train_ltr
from encoders.ranking.vocabulary import inverse_document_frequencies

__all__ = [
    "Candidate",
    "CrossEncoderArgs",
    "DevSearch",
    "FEATURES",
    "Lexicon",
    "LtrArgs",
    "LtrRanker",
    "OnnxCrossEncoder",
    "Pair",
    "QueryContext",
    "RankingExample",
    "Taste",
    "candidate_text",
    "features",
    "inverse_document_frequencies",
    "tokens",
    "train_ltr",
    "training_pairs",
]
