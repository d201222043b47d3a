from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from encoders.losses import StagedRankingLoss, staged_pairwise_hinge  # noqa: E402


def test_hinge_is_zero_when_every_stage_wins_by_the_margin_and_positive_otherwise() -> None:
    stages = torch.tensor([[3, 2, 1, 0]])
    ordered = torch.tensor([[0.9, 0.7, 0.5, 0.3]])
    assert float(staged_pairwise_hinge(ordered, stages, margin=0.1)) == 0.0
    reversed_ = torch.tensor([[0.3, 0.5, 0.7, 0.9]])
    assert float(staged_pairwise_hinge(reversed_, stages, margin=0.1)) > 0.3


def test_hinge_ignores_padding_and_equal_stages() -> None:
    scores = torch.tensor([[0.9, 0.0, 5.0, 0.1]])
    stages = torch.tensor([[3, 0, -1, 0]])  # the padded 5.0 would break the order if it counted
    assert float(staged_pairwise_hinge(scores, stages, margin=0.1)) == 0.0
    assert float(staged_pairwise_hinge(scores, torch.tensor([[0, 0, -1, 0]]), 0.1)) == 0.0


class _Lookup(torch.nn.Module):
    """A 'model' whose embedding of column i is a fixed tensor, so the loss can be checked by hand."""

    def forward(self, features: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        return {"sentence_embedding": features["vectors"]}


def _features(*columns: list[list[float]]) -> list[dict[str, torch.Tensor]]:
    return [{"vectors": torch.tensor(c, dtype=torch.float32)} for c in columns]


def test_a_clicked_product_is_not_a_negative_but_a_shown_one_is() -> None:
    loss = StagedRankingLoss(_Lookup(), scale=20.0, margin=0.0, ranking_weight=0.0)
    queries = [[1.0, 0.0]]
    purchased = [[1.0, 0.1]]
    look_alike = [[1.0, 0.0]]  # scores above the purchase
    as_clicked = float(loss(_features(queries, purchased, look_alike), torch.tensor([[3, 2]])))
    as_shown = float(loss(_features(queries, purchased, look_alike), torch.tensor([[3, 1]])))
    assert as_clicked == pytest.approx(0.0, abs=1e-6)  # masked: the purchase is the only candidate
    assert as_shown > 0.5


def test_ranking_weight_adds_the_stage_order_loss() -> None:
    features = _features([[1.0, 0.0]], [[0.0, 1.0]], [[1.0, 0.0]])  # the shown product beats the purchase
    labels = torch.tensor([[3, 1]])
    plain = float(StagedRankingLoss(_Lookup(), ranking_weight=0.0)(features, labels))
    ranked = float(StagedRankingLoss(_Lookup(), ranking_weight=1.0, margin=0.1)(features, labels))
    assert ranked == pytest.approx(plain + 1.1, abs=1e-5)  # hinge: 0.1 − (0 − 1)
