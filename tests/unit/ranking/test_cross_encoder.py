from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
import torch

from encoders.ranking import CrossEncoderArgs, DevSearch, OnnxCrossEncoder, Pair
from encoders.ranking.cross_encoder import ONNX_FP32, ONNX_INT8
from encoders.ranking.cross_encoder_training import PROBE_PAIRS, export_cross_encoder, train_cross_encoder
from tests.unit.ranking.conftest import searches


def _pairs_and_dev() -> tuple[list[Pair], list[DevSearch]]:
    # The synthetic searches: a product is relevant when its title has both of the query's words.
    train = [Pair(q, c.title, g.get(c.id, 0) / 2) for q, cs, g in searches(40, seed=1) for c in cs[:8]]
    dev = [DevSearch(q, [(c.id, c.title) for c in cs], g) for q, cs, g in searches(12, seed=2)]
    random.Random(0).shuffle(train)
    return train, dev


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> tuple[object, dict, Path]:
    pairs, dev = _pairs_and_dev()
    args = CrossEncoderArgs(batch_size=16, learning_rate=1e-4, max_steps=20, eval_every=10, max_length=32)
    work = tmp_path_factory.mktemp("ce")
    model, curve = train_cross_encoder(pairs, dev, args, work / "run")
    card = export_cross_encoder(model, work / "cross-encoder", {"data": "synthetic"}, curve, args)
    return model, card, work / "cross-encoder"


def test_training_learns_on_dev(exported: tuple[object, dict, Path]) -> None:
    _, card, _ = exported
    assert card["best_dev_ndcg@10"] > card["dev_ndcg@10_at_step_0"]


def test_the_onnx_exports_agree_with_torch(exported: tuple[object, dict, Path]) -> None:
    model, card, folder = exported
    reference = np.asarray(model.predict(PROBE_PAIRS, activation_fn=torch.nn.Identity(), show_progress_bar=False))  # type: ignore[attr-defined]
    fp32 = OnnxCrossEncoder(folder, int8=False, max_length=32)
    scores = np.concatenate([fp32.score(q, [t]) for q, t in PROBE_PAIRS])
    assert np.max(np.abs(scores - reference)) < 1e-3
    assert card["onnx_vs_torch"][ONNX_FP32]["same_order"] is True
    int8 = card["onnx_vs_torch"][ONNX_INT8]
    assert int8["max_abs_logit_difference"] < 0.5
    assert len(card["weights_sha256"]) == 64
