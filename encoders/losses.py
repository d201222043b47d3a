"""Losses beside sentence-transformers' MultipleNegativesRanking: MMSE's retrieval + ranking pair."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from encoders.samplers.staged import CLICKED

if TYPE_CHECKING:
    import torch

__all__ = ["StagedRankingLoss", "staged_pairwise_hinge"]

PADDING = -1  # a filler column of a row that had fewer staged products


def staged_pairwise_hinge(scores: torch.Tensor, stages: torch.Tensor, margin: float) -> torch.Tensor:
    """Mean hinge over every pair of a row's products whose stages differ: the higher stage must win by `margin`.

    Args:
        scores: [batch, n] similarities of each row's query to its products.
        stages: [batch, n] the products' stages (higher is better; -1 marks padding, left out).
        margin: How much more similar the better product must be.
    """
    import torch

    valid = stages >= 0
    better = (stages[:, :, None] > stages[:, None, :]) & valid[:, :, None] & valid[:, None, :]
    if not bool(better.any()):
        return scores.sum() * 0.0
    gaps = scores[:, :, None] - scores[:, None, :]
    return torch.relu(margin - gaps)[better].mean()


class StagedRankingLoss:
    """MMSE's two losses in one pass: retrieval (MNRL) plus a ranking loss over the staged products.

    Features are [queries, products of stage column 1, ..., column n]; column 1 holds the purchased
    product. Retrieval: softmax over every product in the batch, the row's own clicked products and
    padding masked out (a click is no negative). Ranking: `staged_pairwise_hinge` on cosine scores.

    Args:
        model: The SentenceTransformer being trained.
        scale: Similarity scale of the retrieval loss (as MNRL's).
        margin: Ranking margin in cosine units.
        ranking_weight: Weight of the ranking loss against the retrieval loss.
    """

    def __init__(self, model: Any, scale: float = 20.0, margin: float = 0.1, ranking_weight: float = 1.0) -> None:
        self.model, self.scale, self.margin, self.ranking_weight = model, scale, margin, ranking_weight

    def __call__(self, sentence_features: Iterable[dict[str, Any]], labels: torch.Tensor) -> torch.Tensor:
        """The combined loss; `labels` is [batch, n] stages of the product columns."""
        import torch
        import torch.nn.functional as F

        embeddings = [F.normalize(self.model(f)["sentence_embedding"], dim=-1) for f in sentence_features]
        queries, products = embeddings[0], torch.stack(embeddings[1:], dim=1)  # [batch, n, dim]
        batch, columns, _ = products.shape
        own = torch.einsum("bd,bnd->bn", queries, products)
        everything = queries @ products.reshape(batch * columns, -1).T  # row-major: product j of row i at i*n + j
        not_negative = (labels == PADDING) | (labels == CLICKED)
        mask = torch.zeros_like(everything, dtype=torch.bool)
        rows = torch.arange(batch)
        for column in range(1, columns):
            mask[rows, rows * columns + column] = not_negative[:, column]
        logits = (self.scale * everything).masked_fill(mask, float("-inf"))
        retrieval = F.cross_entropy(logits, rows * columns)
        ranking = staged_pairwise_hinge(own, labels, self.margin)
        return retrieval + self.ranking_weight * ranking

    def get_config_dict(self) -> dict[str, Any]:
        """Settings for the model card."""
        return {
            "name": "mmse-retrieval+ranking",
            "scale": self.scale,
            "margin": self.margin,
            "ranking_weight": self.ranking_weight,
        }
