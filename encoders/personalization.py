"""Training the user tower end to end: purchase histories → user vectors → a learned gate on the query.

Each training example carries its shopper's user vector (recency pooling of their purchases'
product vectors, re-encoded with the model being trained at every dev checkpoint). With probability
`history_dropout` the vector is zeroed, so the query tower keeps ranking well on its own: that is
the vector cold and unknown shoppers get. The loss is MultipleNegativesRanking with the fused query.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from encoders.user_tower import LearnedGate

__all__ = ["PersonalizedRankingLoss", "UserGate"]


class UserGate(torch.nn.Module):
    """The trainable form of `LearnedGate` (see there for the formula).

    Args:
        dimension: Vector length.
        max_weight: Largest weight the user vector can get.
        projection: Learn a user projection too (starting as the identity, so an untrained gate
            fuses the pooled history as it is).
        demographics: Profile values (`region=south`) to learn an offset for, each starting at zero.
    """

    def __init__(
        self, dimension: int, max_weight: float = 1.0, projection: bool = False, demographics: Sequence[str] = ()
    ) -> None:
        super().__init__()
        self.max_weight = max_weight
        self.projection = torch.nn.Parameter(torch.eye(dimension)) if projection else None
        self.demographics = list(demographics)
        self.offsets = torch.nn.Parameter(torch.zeros(len(self.demographics), dimension)) if demographics else None
        self.w_query = torch.nn.Parameter(torch.zeros(dimension))
        self.w_user = torch.nn.Parameter(torch.zeros(dimension))
        self.w_similarity = torch.nn.Parameter(torch.zeros(()))
        self.bias = torch.nn.Parameter(torch.zeros(()))

    def forward(
        self, queries: torch.Tensor, users: torch.Tensor, demographics: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Fused unit query vectors; a zero user vector and no profile leave the query as it is.

        `demographics` holds, per row, indices into `self.demographics` padded with -1.
        """
        if self.projection is not None:
            users = torch.nn.functional.normalize(users @ self.projection, dim=-1)  # zero rows stay zero
        logit = queries @ self.w_query + users @ self.w_user + self.w_similarity * (queries * users).sum(-1) + self.bias
        gate = self.max_weight * torch.sigmoid(logit)
        mixed = queries + gate[:, None] * users
        if self.offsets is not None and demographics is not None:
            known = (demographics >= 0).to(mixed.dtype)
            mixed = mixed + (self.offsets[demographics.clamp(min=0)] * known[..., None]).sum(1)
        return torch.nn.functional.normalize(mixed, dim=-1)

    def to_learned_gate(self) -> LearnedGate:
        """The numpy gate the API serves."""
        return LearnedGate(
            self.w_query.detach().cpu().numpy().astype(np.float32),
            self.w_user.detach().cpu().numpy().astype(np.float32),
            float(self.w_similarity.detach()),
            float(self.bias.detach()),
            self.max_weight,
            None if self.projection is None else self.projection.detach().cpu().numpy().astype(np.float32),
            {
                token: self.offsets[i].detach().cpu().numpy().astype(np.float32)
                for i, token in enumerate(self.demographics)
            }
            if self.offsets is not None
            else {},
        )


class PersonalizedRankingLoss:
    """MultipleNegativesRanking where each query vector is first fused with its shopper's user vector.

    Features are [queries, positives, hard negative columns...]; `labels` is the [batch, dim] tensor
    of user vectors (zero rows: no history, or dropped out).

    Args:
        model: The SentenceTransformer being trained.
        gate: The `UserGate` trained with it.
        scale: Similarity scale (as MNRL's).
    """

    def __init__(self, model: Any, gate: UserGate, scale: float = 20.0) -> None:
        self.model, self.gate, self.scale = model, gate, scale

    def __call__(self, sentence_features: Sequence[dict[str, Any]], labels: torch.Tensor) -> torch.Tensor:
        """The loss of one batch."""
        normalize = torch.nn.functional.normalize
        embeddings = [normalize(self.model(f)["sentence_embedding"], dim=-1) for f in sentence_features]
        queries = self.gate(embeddings[0], labels.to(embeddings[0].device))
        candidates = torch.cat(embeddings[1:])
        scores = self.scale * queries @ candidates.T
        return torch.nn.functional.cross_entropy(scores, torch.arange(len(queries), device=scores.device))
