"""A short real fine-tuning run of the base model on a tiny simulated store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from aisle.product import Product
from aisle.simulate import StoreConfig, simulate, write_store
from encoders import EncoderSettings, ProductTextTemplate, base_model_dir, export_model, load_encoder
from encoders.training import CHECKPOINT, train
from encoders.training_args import NegativeStrategy, TrainingArgs
from encoders.training_data import Split, simulated_store_examples

pytestmark = pytest.mark.slow


def test_tb_hns_training_writes_a_checkpoint_curves_and_a_card_and_exports(tmp_path: Path) -> None:
    files = write_store(simulate(StoreConfig(products=300, shoppers=120, seed=11)), tmp_path / "store")
    products = {p.id: p for p in (Product.model_validate(json.loads(line))
                                  for line in files["catalog.jsonl"].read_text().splitlines())}  # fmt: skip
    examples, _ = simulated_store_examples(tmp_path / "store", products, Split.TRAIN)
    _, dev = simulated_store_examples(tmp_path / "store", products, Split.DEV)
    args = TrainingArgs(output_dir=tmp_path / "run", sampler=NegativeStrategy.TB_HNS, negatives=1, batch_size=8,
                        max_steps=4, eval_every=2, max_seq_length=32)  # fmt: skip
    result = train(base_model_dir(), examples, list(products.values()), dev, args, ProductTextTemplate())
    assert result.steps == 4
    assert [point["step"] for point in result.curve] == [0.0, 2.0, 4.0]
    assert all(0.0 <= point["ndcg@10"] <= 1.0 for point in result.curve)
    card = json.loads((tmp_path / "run" / "model_card.json").read_text())
    assert card["sampler"]["name"] == "tb-hns" and card["steps"] == 4
    assert TrainingArgs.from_json(tmp_path / "run" / "train_args.json") == args

    fingerprint = export_model(tmp_path / "run" / CHECKPOINT, tmp_path / "model", "tiny", ProductTextTemplate())
    encoder = load_encoder(EncoderSettings(model_dir=tmp_path / "model"))
    assert encoder.fingerprint.value == fingerprint.value and encoder.dimension == 384
