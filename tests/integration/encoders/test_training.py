"""A short real fine-tuning run of the base model on a tiny simulated store."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from aisle.simulate import StoreConfig, simulate, write_store
from encoders import EncoderSettings, ProductTextTemplate, base_model_dir, export_model, load_encoder
from encoders.fine_tune import search_time
from encoders.histories import Purchase, purchases_at
from encoders.runs import CHECKPOINT
from encoders.samplers import TrainingExample
from encoders.training import train
from encoders.training_args import Batching, NegativeStrategy, TrainingArgs
from encoders.training_data import simulated_store_examples
from kernel.data import JudgedQuery, Split, read_event_log
from kernel.product import Product
from kernel.rejects import RejectLog

pytestmark = pytest.mark.slow


def test_tb_hns_training_writes_a_checkpoint_curves_and_a_card_and_exports(tmp_path: Path) -> None:
    files = write_store(simulate(StoreConfig(products=300, shoppers=120, seed=11)), tmp_path / "store")
    products = {
        p.id: p
        for p in (Product.model_validate(json.loads(line)) for line in files["catalog.jsonl"].read_text().splitlines())
    }
    examples, _ = simulated_store_examples(tmp_path / "store", products, Split.TRAIN)
    _, dev = simulated_store_examples(tmp_path / "store", products, Split.DEV)
    args = TrainingArgs(
        output_dir=tmp_path / "run",
        sampler=NegativeStrategy.TB_HNS,
        negatives=1,
        batch_size=8,
        max_steps=4,
        eval_every=2,
        max_seq_length=32,
    )
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


@pytest.fixture(scope="module")
def tiny_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Product]]:
    folder = tmp_path_factory.mktemp("store")
    files = write_store(simulate(StoreConfig(products=300, shoppers=120, seed=11)), folder)
    products = {
        p.id: p
        for p in (Product.model_validate(json.loads(line)) for line in files["catalog.jsonl"].read_text().splitlines())
    }
    return folder, products


def _searches_and_histories(
    tiny_store: tuple[Path, dict[str, Product]],
) -> tuple[list[TrainingExample], list[JudgedQuery], dict[str, list[Purchase]]]:
    """The tiny store's training searches, dev searches and purchase histories."""
    folder, products = tiny_store
    examples, _ = simulated_store_examples(folder, products, Split.TRAIN)
    _, dev = simulated_store_examples(folder, products, Split.DEV)
    events = read_event_log(folder / "events.jsonl", RejectLog(folder / "rejects.jsonl"))
    return examples, dev, purchases_at(events.histories, search_time(folder))


@pytest.mark.parametrize(
    ("sampler", "extra"),
    [
        (NegativeStrategy.BM25, {}),
        (NegativeStrategy.ANCE, {"ance_refresh_every": 1, "ance_pool": 200}),
        (NegativeStrategy.MMSE, {"ranking_weight": 1.0}),
        (NegativeStrategy.IN_BATCH, {"batching": Batching.TAXONOMY, "taxonomy_run": 4}),
    ],
)
def test_every_sampler_trains_for_real_and_names_itself_in_the_card(
    tiny_store: tuple[Path, dict[str, Product]], tmp_path: Path, sampler: NegativeStrategy, extra: dict[str, float]
) -> None:
    folder, products = tiny_store
    examples, _ = simulated_store_examples(folder, products, Split.TRAIN)
    _, dev = simulated_store_examples(folder, products, Split.DEV)
    args = TrainingArgs(
        output_dir=tmp_path / "run",
        sampler=sampler,
        negatives=2,
        batch_size=8,
        max_steps=2,
        eval_every=0,
        max_seq_length=32,
        **extra,
    )  # type: ignore[arg-type]
    result = train(base_model_dir(), examples, list(products.values()), dev, args, ProductTextTemplate())
    assert result.steps == 2
    card = json.loads((tmp_path / "run" / "model_card.json").read_text())
    assert card["sampler"]["name"] == sampler.value
    assert ("ranking" in card["loss"]) == (sampler is NegativeStrategy.MMSE)
    if sampler is NegativeStrategy.ANCE:
        assert card["sampler"]["refreshes"] == 2  # refreshed before each of the two batches
    assert card["batches"] == ({"name": "taxonomy", "run": 4} if extra.get("batching") else {"name": "random"})
    assert (tmp_path / "run" / "curve.png").stat().st_size > 0


def test_personalized_training_exports_a_gate_the_encoder_serves(
    tiny_store: tuple[Path, dict[str, Product]], tmp_path: Path
) -> None:
    import numpy as np

    from encoders.user_tower import USER_GATE_FILE

    _, products = tiny_store
    examples, dev, histories = _searches_and_histories(tiny_store)
    args = TrainingArgs(
        output_dir=tmp_path / "run",
        sampler=NegativeStrategy.IN_BATCH,
        batch_size=8,
        max_steps=3,
        eval_every=0,
        max_seq_length=32,
        personalize=True,
    )
    result = train(
        base_model_dir(), examples, list(products.values()), dev, args, ProductTextTemplate(), histories=histories
    )
    assert (tmp_path / "run" / CHECKPOINT / USER_GATE_FILE).is_file()
    # Checkpoints are chosen on dev as the API serves it: each searcher's history through the gate.
    assert any(q.user_id for q in dev)
    assert json.loads((tmp_path / "run" / "model_card.json").read_text())["dev_scored_with_histories"] is True
    plain = train(
        base_model_dir(),
        examples,
        list(products.values()),
        dev,
        TrainingArgs(
            output_dir=tmp_path / "plain",
            sampler=NegativeStrategy.IN_BATCH,
            batch_size=8,
            max_steps=1,
            eval_every=0,
            max_seq_length=32,
        ),
        ProductTextTemplate(),
    )
    metrics = ("ndcg@10", "mrr", "recall@10", "recall@100")
    assert [result.curve[0][m] for m in metrics] != [plain.curve[0][m] for m in metrics]
    export_model(tmp_path / "run" / CHECKPOINT, tmp_path / "model", "tiny-personal", ProductTextTemplate())
    encoder = load_encoder(EncoderSettings(model_dir=tmp_path / "model"))
    assert encoder.user_gate is not None
    query, user = encoder.encode_query("bench"), encoder.encode_query("outdoor cedar furniture")
    fused = encoder.personalize(query, user, fixed_weight=0.0)  # the gate decides, not the fixed weight
    assert float(fused @ user) > float(query @ user)
    assert np.linalg.norm(fused) == pytest.approx(1.0, abs=1e-5)


def test_personalize_without_histories_says_what_to_do(
    tiny_store: tuple[Path, dict[str, Product]], tmp_path: Path
) -> None:
    from encoders.errors import TrainingDataError

    folder, products = tiny_store
    examples, _ = simulated_store_examples(folder, products, Split.TRAIN)
    args = TrainingArgs(output_dir=tmp_path / "run", max_steps=1, personalize=True)
    with pytest.raises(TrainingDataError, match="purchase histories"):
        train(base_model_dir(), examples, list(products.values()), [], args, ProductTextTemplate())


def test_a_frozen_encoder_trains_only_the_user_tower_and_keeps_the_base_fingerprint(
    tiny_store: tuple[Path, dict[str, Product]], tmp_path: Path
) -> None:
    import numpy as np

    from encoders.fine_tune import fine_tune
    from encoders.fingerprint import weights_digest
    from encoders.loading import BASE_MODEL_ID
    from encoders.product_vectors import PRODUCT_VECTORS_FILE, ProductVectors
    from encoders.user_tower import USER_GATE_FILE, LearnedGate

    folder, _ = tiny_store
    examples, _ = simulated_store_examples(folder, tiny_store[1], Split.TRAIN)
    args = TrainingArgs(
        output_dir=tmp_path / "run",
        batch_size=16,
        tower_epochs=3,
        eval_every=0,
        max_seq_length=32,
        personalize=True,
        freeze_encoder=True,
        gate_max_weight=2.0,
    )
    tuned = fine_tune(dataclasses.replace(args, store=folder))
    result, epoch = tuned.result, -(-len(examples) // 16)
    assert result.steps == 3 * epoch
    assert [point["step"] for point in result.curve] == [0.0, epoch, 2.0 * epoch, 3.0 * epoch]  # step 0, then epochs
    card = json.loads((tmp_path / "run" / "model_card.json").read_text())
    assert "encoder frozen" in card["loss"] and card["best_dev"] in result.curve
    gate = LearnedGate.load(tmp_path / "run" / CHECKPOINT / USER_GATE_FILE)
    assert gate.user_projection is not None and not np.allclose(gate.user_projection, np.eye(384))
    # The encoder is the base model unchanged, so indices built with the base stay valid for this model.
    encoder = load_encoder(EncoderSettings(model_dir=tuned.model_dir))
    assert encoder.fingerprint.model_id == BASE_MODEL_ID
    assert encoder.fingerprint.weights_sha256 == weights_digest(base_model_dir())
    assert encoder.user_gate is not None and encoder.user_gate.user_projection is not None
    # The frozen encoder's product vectors are kept for the index when they are what serving makes:
    # here training cut texts at 32 tokens, serving at 64, so the index must not take them.
    kept = ProductVectors.load(tmp_path / "run" / PRODUCT_VECTORS_FILE)
    assert kept is not None and kept.backend == "onnx-int8/32" and len(kept.by_key) > 0
    assert encoder.reuse(kept) == 0
    assert load_encoder(EncoderSettings(model_dir=tuned.model_dir, max_seq_length=32)).reuse(kept) == len(kept.by_key)


def test_the_user_tower_learns_on_its_training_searches(
    tiny_store: tuple[Path, dict[str, Product]], tmp_path: Path
) -> None:
    import numpy as np

    from encoders.user_tower_training import train_user_tower

    _, products = tiny_store
    examples, dev, histories = _searches_and_histories(tiny_store)
    args = TrainingArgs(
        output_dir=tmp_path / "run",
        batch_size=16,
        tower_epochs=4,
        eval_every=0,
        max_seq_length=32,
        personalize=True,
        freeze_encoder=True,
        history_dropout=0.0,
    )
    losses: list[float] = []
    train_user_tower(
        base_model_dir(),
        examples,
        list(products.values()),
        dev,
        args,
        ProductTextTemplate(),
        histories,
        lambda step, total, loss: losses.append(loss),
    )
    epoch = -(-len(examples) // 16)
    assert np.mean(losses[-epoch:]) < np.mean(losses[:epoch])


def test_freezing_the_encoder_without_personalizing_says_what_to_add(
    tiny_store: tuple[Path, dict[str, Product]], tmp_path: Path
) -> None:
    from encoders.errors import TrainingDataError
    from encoders.fine_tune import fine_tune

    folder, _ = tiny_store
    with pytest.raises(TrainingDataError, match="add --personalize"):
        fine_tune(TrainingArgs(store=folder, output_dir=tmp_path / "run", freeze_encoder=True))


def test_a_tower_trained_on_profiles_learns_an_offset_per_demographic_value(tmp_path: Path) -> None:
    import numpy as np

    from encoders.fine_tune import fine_tune
    from encoders.user_tower import USER_GATE_FILE, LearnedGate

    folder = tmp_path / "store"
    write_store(simulate(StoreConfig(products=300, shoppers=120, seed=11, demographics=True)), folder)
    args = TrainingArgs(
        output_dir=tmp_path / "run",
        batch_size=16,
        tower_epochs=3,
        eval_every=0,
        max_seq_length=32,
        personalize=True,
        freeze_encoder=True,
        gate_max_weight=2.0,
    )
    tuned = fine_tune(dataclasses.replace(args, store=folder))
    values = {"region=north", "region=south", "region=east", "region=west", "customer_type=diy", "customer_type=pro"}
    card = json.loads((tmp_path / "run" / "model_card.json").read_text())
    assert set(card["sampler"]["demographics"]) == values
    gate = LearnedGate.load(tmp_path / "run" / CHECKPOINT / USER_GATE_FILE)
    assert set(gate.demographic_offsets) == values
    assert all(np.linalg.norm(offset) > 0 for offset in gate.demographic_offsets.values())  # all started at zero
    served = load_encoder(EncoderSettings(model_dir=tuned.model_dir))
    assert served.knows_demographics({"region": "south"}) and not served.knows_demographics({"region": "mars"})
