"""Negative samplers for contrastive training: one interface, selectable by name."""

from __future__ import annotations

from encoders.samplers.base import NegativeSampler, TrainingExample
from encoders.samplers.in_batch import InBatchSampler
from encoders.samplers.random_products import RandomSampler
from encoders.samplers.taxonomy_branch import TaxonomySampler

__all__ = ["InBatchSampler", "NegativeSampler", "RandomSampler", "TaxonomySampler", "TrainingExample"]
