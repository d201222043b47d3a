"""Taxonomy assignment for catalogs without categories: each product onto a taxonomy leaf, with a confidence.

A leaf is described as `Leaf (Parent)` ("Miter Saws (Saws)"): on Home Depot titles that beat the full
path, whose shared top levels drown the leaf's own words. Products and leaf texts are embedded with
the encoder; the nearest leaf wins. The refinement is a catalog prior: a first pass counts how many
products land under each branch (`prior_depth` levels deep), and a second pass adds `prior_weight`
× log(branch share), so a home-improvement catalog stops filing screws under Office Supplies. The
confidence is the winning leaf's softmax probability over all leaves (`temperature`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from kernel.taxonomy import CategoryPath, Taxonomy

__all__ = ["Assignment", "TaxonomyAssigner", "leaf_text"]

Encode = Callable[[Sequence[str]], npt.NDArray[np.float32]]


@dataclass(frozen=True)
class Assignment:
    """The leaf a product was filed under and how sure the assigner is (0-1)."""

    leaf: CategoryPath
    confidence: float


def leaf_text(leaf: CategoryPath) -> str:
    """What a leaf is embedded as: its name and its parent's, e.g. `Miter Saws (Saws)`."""
    return f"{leaf[-1]} ({leaf[-2]})" if len(leaf) > 1 else leaf[-1]


class TaxonomyAssigner:
    """Files product titles under taxonomy leaves by embedding similarity, refined by a catalog prior.

    Args:
        taxonomy: The tree whose leaves products are filed under.
        encode: Texts → unit vectors.
        prior_weight: Weight of log(branch share) from the first pass (0: no refinement).
        prior_depth: Depth of the branches the prior counts (2: "Hardware > Tools").
        temperature: Softmax temperature of the confidence.
        chunk: Titles scored at once (bounds memory: chunk × leaves floats).
    """

    def __init__(
        self,
        taxonomy: Taxonomy,
        encode: Encode,
        prior_weight: float = 0.04,
        prior_depth: int = 2,
        temperature: float = 0.02,
        chunk: int = 2048,
    ) -> None:
        self.leaves = taxonomy.leaves
        self.prior_weight, self.prior_depth, self.temperature, self.chunk = (
            prior_weight,
            prior_depth,
            temperature,
            chunk,
        )
        self._encode = encode
        self._leaf_vectors = encode([leaf_text(leaf) for leaf in self.leaves])
        self._branch_of = [leaf[:prior_depth] for leaf in self.leaves]

    def assign(self, titles: Sequence[str]) -> list[Assignment]:
        """One assignment per title."""
        vectors = self._encode(titles)
        chunks = range(0, len(titles), self.chunk)
        first = (
            np.concatenate([(vectors[i : i + self.chunk] @ self._leaf_vectors.T).argmax(axis=1) for i in chunks])
            if len(titles)
            else np.zeros(0, dtype=np.int64)
        )
        prior = self._prior(first) if self.prior_weight else np.zeros(len(self.leaves), dtype=np.float32)
        out: list[Assignment] = []
        for i in range(0, len(titles), self.chunk):
            scores = vectors[i : i + self.chunk] @ self._leaf_vectors.T + self.prior_weight * prior
            best = scores.argmax(axis=1)
            logits = (scores - scores.max(axis=1, keepdims=True)) / self.temperature
            confidence = 1.0 / np.exp(logits).sum(axis=1)  # the winner's logit is 0
            out += [Assignment(self.leaves[int(b)], round(float(c), 4)) for b, c in zip(best, confidence, strict=True)]
        return out

    def _prior(self, first: npt.NDArray[np.int64]) -> npt.NDArray[np.float32]:
        counts = Counter(self._branch_of[int(i)] for i in first)
        branches = set(self._branch_of)
        total = len(first) + len(branches)  # add-one smoothing: an unseen branch stays possible
        logs = np.array([np.log((counts[b] + 1) / total) for b in self._branch_of], dtype=np.float32)
        prior: npt.NDArray[np.float32] = logs - logs.max()
        return prior
