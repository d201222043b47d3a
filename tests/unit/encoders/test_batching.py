from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

from encoders.backends import Vectors
from encoders.batching import QueryBatcher


class _SlowEncoder:
    """Vectors that spell out each text's length; the first run blocks until released."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.release = threading.Event()

    def __call__(self, texts: Sequence[str]) -> Vectors:
        self.batches.append(list(texts))
        if len(self.batches) == 1:
            self.release.wait(5)
        if any(t == "boom" for t in texts):
            raise RuntimeError("model failed")
        return np.array([[len(t), 1.0] for t in texts], dtype=np.float32)


def _queue_behind_a_running_query(encoder: _SlowEncoder, batcher: QueryBatcher, texts: list[str]) -> dict[str, Any]:
    """Encode texts[0], and the others while it is inside the model; release it; each text's vector."""
    results: dict[str, Any] = {}

    def call(text: str) -> None:
        results[text] = batcher.encode(text)

    first, *others = [threading.Thread(target=call, args=(t,)) for t in texts]
    first.start()
    while not encoder.batches:
        time.sleep(0.001)
    for thread in others:
        thread.start()
    time.sleep(0.05)  # they are queued behind it
    encoder.release.set()
    for thread in [first, *others]:
        thread.join(5)
    return results


def test_queries_that_arrive_while_the_model_runs_share_the_next_run() -> None:
    encoder = _SlowEncoder()
    batcher = QueryBatcher(encoder)
    results = _queue_behind_a_running_query(encoder, batcher, ["a", "bbb", "cc", "dddd"])
    assert [len(b) for b in encoder.batches] == [1, 3]
    assert {t: float(v[0]) for t, v in results.items()} == {"a": 1, "bbb": 3, "cc": 2, "dddd": 4}


def test_a_lone_query_runs_at_once_and_a_failed_run_raises_without_breaking_the_batcher() -> None:
    encoder = _SlowEncoder()
    encoder.release.set()
    batcher = QueryBatcher(encoder)
    assert float(batcher.encode("abc")[0]) == 3 and encoder.batches == [["abc"]]
    with pytest.raises(RuntimeError, match="model failed"):
        batcher.encode("boom")
    assert float(batcher.encode("after")[0]) == 5  # the batcher is usable again


def test_a_full_queue_is_drained_in_runs_of_at_most_max_batch() -> None:
    encoder = _SlowEncoder()
    batcher = QueryBatcher(encoder, max_batch=2)
    results = _queue_behind_a_running_query(encoder, batcher, ["x" * n for n in range(1, 7)])
    assert [len(b) for b in encoder.batches] == [1, 2, 2, 1]
    assert sorted(float(v[0]) for v in results.values()) == [1, 2, 3, 4, 5, 6]
