from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from model2vec import StaticModel
from tokenizers import Tokenizer

from encoders import EncoderSettings, load_encoder
from encoders.errors import ModelNotFoundError
from encoders.loading import base_model_dir
from encoders.query_tower import QUERY_TOWER_DIR, StaticQueryTower
from encoders.query_tower_training import QueryTowerArgs, TowerSearch, dense_ndcg, train_query_tower
from encoders.settings import Backend, QueryTower


def _tower(seed: int = 0, dimension: int = 384, max_tokens: int = 8) -> StaticQueryTower:
    tokenizer = Tokenizer.from_file(str(base_model_dir() / "tokenizer.json"))
    table = np.random.default_rng(seed).standard_normal((tokenizer.get_vocab_size(), dimension)).astype(np.float32)
    return StaticQueryTower(StaticModel(table, tokenizer, normalize=True), {"product_encoder": "test"}, max_tokens)


def test_the_tower_encodes_unit_vectors_the_same_way_every_time() -> None:
    tower = _tower()
    first = tower.encode(["cordless drill", "garden bench"])
    np.testing.assert_array_equal(first, tower.encode(["cordless drill", "garden bench"]))
    np.testing.assert_allclose(np.linalg.norm(first, axis=1), 1.0, rtol=1e-5)
    assert not np.allclose(first[0], first[1])
    # One query alone is the same vector as in a batch.
    np.testing.assert_allclose(tower.encode_covered("cordless drill"), first[0], rtol=1e-6)


def test_a_saved_tower_loads_from_disk_and_encodes_as_before(tmp_path: Path) -> None:
    tower = _tower()
    tower.save(tmp_path / "tower")
    loaded = StaticQueryTower.load(tmp_path / "tower")
    texts = ["white bathroom vanity 36 inch", "deck screws"]
    np.testing.assert_allclose(loaded.encode(texts), tower.encode(texts), rtol=1e-6, atol=1e-7)
    assert loaded.card["product_encoder"] == "test" and loaded.max_tokens == tower.max_tokens


def test_queries_the_tower_cannot_speak_for_are_left_to_the_transformer() -> None:
    tower = _tower(max_tokens=4)
    assert tower.covers("garden bench")
    assert not tower.covers("")  # no token at all
    assert not tower.covers("one two three four five six")  # longer than max_tokens
    assert tower.encode_covered("one two three four five six") is None


def test_training_moves_queries_toward_their_products() -> None:
    rng = np.random.default_rng(1)
    words = ["drill", "bench", "hammer", "faucet", "ladder", "shovel", "mower", "paint", "lamp", "rug"]
    products = rng.standard_normal((40, 384)).astype(np.float32)
    products /= np.linalg.norm(products, axis=1, keepdims=True)
    ids = [f"p{i}" for i in range(40)]
    # Each word's search wants products i and i + 10; its teacher vector is the first of them.
    searches = [TowerSearch(w, {ids[i]: 2, ids[i + 10]: 1}) for i, w in enumerate(words)]
    teacher = {w: products[i] for i, w in enumerate(words)}
    tower = _tower(seed=3)
    before = dense_ndcg(tower.encode(words), searches, products, ids)
    args = QueryTowerArgs(epochs=30, batch_size=10, learning_rate=0.05, sampled_negatives=16, min_grade=1)
    trained, record = train_query_tower(
        tower, searches, searches, products, ids, lambda texts: np.stack([teacher[t] for t in texts]), args
    )
    after = dense_ndcg(trained.encode(words), searches, products, ids)
    assert after > before + 0.5
    assert record["best_dev_ndcg@10"] == pytest.approx(after, abs=1e-4)
    assert record["curve"][0]["dev_ndcg@10"] == pytest.approx(before, abs=1e-4)


def test_the_encoder_uses_the_tower_only_when_asked_and_only_for_its_model(base_model: Path, tmp_path: Path) -> None:
    model = tmp_path / "model"
    shutil.copytree(base_model, model)
    static = EncoderSettings(model_dir=model, backend=Backend.ONNX_INT8, query_tower=QueryTower.STATIC)
    with pytest.raises(ModelNotFoundError, match="has no query tower"):
        load_encoder(static)
    plain = load_encoder(
        EncoderSettings(
            model_dir=model, backend=Backend.ONNX_INT8, query_cache_size=0, query_tower=QueryTower.TRANSFORMER
        )
    )
    tower = _tower(max_tokens=4)
    tower.card["product_encoder"] = "some-other-model"
    tower.save(model / QUERY_TOWER_DIR)
    with pytest.raises(ModelNotFoundError, match="trained against products encoded by some-other-model"):
        load_encoder(static)
    # By default a tower that is not this model's is left out, not trusted.
    assert load_encoder(EncoderSettings(model_dir=model, backend=Backend.ONNX_INT8)).query_tower is None
    tower.card["product_encoder"] = plain.fingerprint.value
    tower.save(model / QUERY_TOWER_DIR)
    encoder = load_encoder(static.model_copy(update={"query_cache_size": 0}))
    assert load_encoder(EncoderSettings(model_dir=model, backend=Backend.ONNX_INT8)).query_tower is not None
    assert encoder.fingerprint == plain.fingerprint  # the products' encoder, so the index stays valid
    np.testing.assert_allclose(encoder.encode_query("Garden  Bench"), tower.encode(["garden bench"])[0], rtol=1e-6)
    long = "a long garden bench made of teak wood"
    np.testing.assert_allclose(encoder.encode_query(long), plain.encode_query(long), rtol=1e-5, atol=1e-6)
