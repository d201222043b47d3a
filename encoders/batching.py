"""Encoding concurrent queries together: one model run for the queries that arrive while it is busy."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

from encoders.backends import Vectors

__all__ = ["QueryBatcher"]


class _Request:
    def __init__(self, text: str) -> None:
        self.text = text
        self.ready = threading.Event()  # set when the vector is there, or when this request takes the lead
        self.done = False
        self.vector: Vectors | None = None
        self.error: BaseException | None = None

    def result(self) -> Vectors:
        if self.error is not None:
            raise self.error
        assert self.vector is not None
        return self.vector


class QueryBatcher:
    """Coalesces concurrent `encode` calls into batched runs of `encode_many`.

    A call that finds the encoder idle runs at once, alone, so a lone query waits for nothing. Calls
    that arrive while a run is in progress queue up and the next run takes them all: under load, one
    model run serves several searches (ONNX int8, 4 queries in one run: 1.59 instead of 2.18 ms CPU
    each). The caller whose query is done hands the lead to the oldest waiting one.

    Args:
        encode_many: Unit vectors for a list of texts, one row each.
        max_batch: Most queries per run.
    """

    def __init__(self, encode_many: Callable[[Sequence[str]], Vectors], max_batch: int = 32) -> None:
        self._encode_many = encode_many
        self._max_batch = max_batch
        self._lock = threading.Lock()
        self._waiting: list[_Request] = []
        self._busy = False

    def encode(self, text: str) -> Vectors:
        """The unit vector of `text`, possibly computed in one run with other callers' texts."""
        request = _Request(text)
        with self._lock:
            self._waiting.append(request)
            leads, self._busy = not self._busy, True
        if not leads:
            request.ready.wait()
            if request.done:
                return request.result()
        while not request.done:
            with self._lock:
                batch, self._waiting = self._waiting[: self._max_batch], self._waiting[self._max_batch :]
            self._run(batch)
        with self._lock:
            if self._waiting:
                self._waiting[0].ready.set()  # not done: it wakes up as the next leader
            else:
                self._busy = False
        return request.result()

    def _run(self, batch: list[_Request]) -> None:
        try:
            vectors = self._encode_many([r.text for r in batch])
            for request, vector in zip(batch, vectors, strict=True):
                request.vector = vector
        except BaseException as exc:  # every caller in the batch gets the error, not only the leader
            for request in batch:
                request.error = exc
        finally:
            for request in batch:
                request.done = True
                request.ready.set()
