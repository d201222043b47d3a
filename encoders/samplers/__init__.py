"""Negative samplers and batch planners for contrastive training: one interface each, selectable by name."""

from __future__ import annotations

from encoders.samplers.ance import AnceSampler
from encoders.samplers.base import NegativeSampler, TrainingExample
from encoders.samplers.batches import BatchPlanner, RandomBatches, TaxonomyBatches
from encoders.samplers.bm25_mined import BM25Sampler
from encoders.samplers.in_batch import InBatchSampler
from encoders.samplers.random_products import RandomSampler
from encoders.samplers.staged import StagedSampler
from encoders.samplers.taxonomy_branch import TaxonomySampler

__all__ = [
    "AnceSampler",
    "BM25Sampler",
    "BatchPlanner",
    "InBatchSampler",
    "NegativeSampler",
    "RandomBatches",
    "RandomSampler",
    "StagedSampler",
    "TaxonomyBatches",
    "TaxonomySampler",
    "TrainingExample",
]
