from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from encoders.backends import Vectors, mean_pool_normalize
from encoders.fingerprint import EncoderFingerprint
from encoders.loading import Encoder
from encoders.settings import Backend
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
