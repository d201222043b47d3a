from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from encoders.backends import Vectors, mean_pool_normalize
from encoders.fingerprint import EncoderFingerprint
from encoders.loading import BASE_MODEL_ID, Encoder, batch_settings, load_encoder
from encoders.settings import Backend, EncoderSettings
from encoders.text import ProductTextTemplate


class CountingEncoder:
    """A deterministic stand-in backend that records what it was asked to encode."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    @property
    def dimension(self) -> int:
        return 4

    def encode(self, texts: Sequence[str]) -> Vectors:
        self.calls.append(list(texts))
        rows = np.array([[len(t), t.count("a"), 1.0, 0.0] for t in texts], dtype=np.float32)
        return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def _encoder(cache_size: int) -> tuple[Encoder, CountingEncoder]:
    backend = CountingEncoder()
    fingerprint = EncoderFingerprint("m", "0" * 64, ProductTextTemplate().describe(), 4)
    return Encoder(backend, ProductTextTemplate(), fingerprint, Backend.TORCH, cache_size), backend


def test_repeated_queries_come_from_the_cache_and_are_normalised_by_spelling() -> None:
    encoder, backend = _encoder(cache_size=2)
    first = encoder.encode_query("Cordless  Drill")
    again = encoder.encode_query("cordless drill")
    assert np.array_equal(first, again)
    assert backend.calls == [["cordless drill"]]
    assert encoder.query_cache_stats == (1, 1)
    with pytest.raises(ValueError):
        again[0] = 0.0  # cached vectors are shared, so they are read-only


def test_the_least_recently_used_query_is_evicted() -> None:
    encoder, backend = _encoder(cache_size=2)
    for query in ["a", "b", "a", "c", "b"]:
        encoder.encode_query(query)
    # "b" was the least recently used when "c" arrived, so it is encoded again.
    assert backend.calls == [["a"], ["b"], ["c"], ["b"]]


def test_a_zero_sized_cache_always_encodes() -> None:
    encoder, backend = _encoder(cache_size=0)
    encoder.encode_query("a")
    encoder.encode_query("a")
    assert len(backend.calls) == 2


def test_mean_pooling_ignores_padding_and_normalises() -> None:
    tokens = np.array([[[1.0, 0.0], [3.0, 0.0], [100.0, 100.0]]])
    mask = np.array([[1, 1, 0]])
    assert np.allclose(mean_pool_normalize(tokens, mask), [[1.0, 0.0]])


def test_fingerprints_differ_when_the_template_does() -> None:
    a = EncoderFingerprint("m", "ab" * 32, "t1", 384)
    b = EncoderFingerprint("m", "ab" * 32, "t2", 384)
    assert a.value != b.value and a.value.startswith("m@abababababababab/")


def test_batch_jobs_without_a_model_use_the_base_models_int8_export(
    base_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    # The export a first batch job would have made (made here by the session's fixture, as export_model does).
    shutil.copytree(base_model, tmp_path / "aisle" / "models" / BASE_MODEL_ID)
    settings = batch_settings(EncoderSettings())
    assert settings.model_dir == tmp_path / "aisle" / "models" / BASE_MODEL_ID
    encoder = load_encoder(settings)
    assert encoder.backend is Backend.ONNX_INT8
    # The same identity as the base model served from its package, so an index built in a batch stays valid.
    assert encoder.fingerprint == load_encoder(EncoderSettings(backend=Backend.TORCH)).fingerprint
    named = EncoderSettings(model_dir=base_model)
    assert batch_settings(named) is named


def test_products_an_earlier_job_encoded_with_this_model_are_not_encoded_again(tmp_path: Path) -> None:
    from encoders.product_vectors import ProductVectors
    from kernel.product import Product

    encoder, backend = _encoder(cache_size=0)
    products = [Product(id=f"p{i}", title=f"drill {'a' * i}") for i in range(3)]
    first = encoder.encode_products(products)
    texts = backend.calls[0]
    saved = tmp_path / "product_vectors.npz"
    ProductVectors.of(*encoder.vector_identity, texts[:2], first[:2] * 0 + 0.5).save(saved)

    other, other_backend = _encoder(cache_size=0)
    assert other.reuse(ProductVectors.load(saved)) == 2
    again = other.encode_products(products)
    # Only the product whose text was not saved is encoded; the saved vectors are taken as they were.
    assert other_backend.calls == [texts[2:]]
    np.testing.assert_array_equal(again[:2], np.full((2, 4), 0.5, dtype=np.float32))
    np.testing.assert_array_equal(again[2], first[2])

    # Vectors of another model (or backend) are never taken.
    fresh, _ = _encoder(cache_size=0)
    assert fresh.reuse(ProductVectors.of("other-model", encoder.vector_identity[1], texts, first)) == 0
    assert fresh.reuse(ProductVectors.of(encoder.fingerprint.value, "torch/32", texts, first)) == 0
    assert ProductVectors.load(tmp_path / "missing.npz") is None
