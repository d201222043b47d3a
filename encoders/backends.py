"""Text → unit vectors, with torch (sentence-transformers) or ONNX Runtime.

Both return L2-normalized float32 rows, so inner product equals cosine in OpenSearch. The ONNX
backend needs only onnxruntime, tokenizers and numpy, so the API image carries no training stack.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import numpy.typing as npt

from encoders.errors import ModelNotFoundError

if TYPE_CHECKING:
    import onnxruntime as ort
    from tokenizers import Encoding, Tokenizer

__all__ = [
    "OnnxTextEncoder",
    "TextEncoder",
    "TorchTextEncoder",
    "load_tokenizer",
    "mean_pool_normalize",
    "onnx_feeds",
    "onnx_session",
]

Vectors = npt.NDArray[np.float32]


class TextEncoder(Protocol):
    """Anything that turns texts into unit vectors."""

    @property
    def dimension(self) -> int:
        """Length of each vector."""
        ...

    def encode(self, texts: Sequence[str]) -> Vectors:
        """One L2-normalized float32 row per text."""
        ...


def mean_pool_normalize(token_vectors: npt.NDArray[Any], attention_mask: npt.NDArray[Any]) -> Vectors:
    """Mean over real tokens, then L2-normalize: the pooling all-MiniLM-L6-v2 was trained with."""
    mask = attention_mask[..., None].astype(np.float32)
    pooled = (token_vectors * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    normalized: Vectors = (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)
    return normalized


class TorchTextEncoder:
    """A sentence-transformers model directory, run with torch.

    Args:
        model_dir: The model directory.
        max_seq_length: Tokens kept per text.
        batch_size: Texts per forward pass.
        device: `cpu`, `cuda`, ...; None picks a GPU when present.
    """

    def __init__(self, model_dir: Path, max_seq_length: int = 64, batch_size: int = 64, device: str | None = None):
        from sentence_transformers import SentenceTransformer

        if not (model_dir / "modules.json").is_file():
            raise ModelNotFoundError(f"{model_dir} is not a sentence-transformers model directory (no modules.json).")
        self.model = SentenceTransformer(str(model_dir), device=device, local_files_only=True)
        self.model.max_seq_length = max_seq_length
        self._batch_size = batch_size

    @property
    def dimension(self) -> int:
        """Length of each vector."""
        dimension = self.model.get_embedding_dimension()
        assert dimension is not None
        return int(dimension)

    def encode(self, texts: Sequence[str]) -> Vectors:
        """One L2-normalized float32 row per text."""
        vectors = self.model.encode(
            list(texts), batch_size=self._batch_size, normalize_embeddings=True, convert_to_numpy=True
        )
        return np.asarray(vectors, dtype=np.float32)


class OnnxTextEncoder:
    """An exported ONNX transformer plus its `tokenizer.json`, run with ONNX Runtime.

    Args:
        onnx_path: The ONNX file (fp32 or int8) whose output is the last hidden state.
        tokenizer_path: The model's `tokenizer.json`.
        max_seq_length: Tokens kept per text.
        batch_size: Texts per run.
        threads: Threads per call; 0 means one per core (ONNX Runtime's choice for a single batch). A
            call of one batch (a query) splits each operator between them; a call of several runs
            whole batches side by side, one per thread.
        spin: Let idle intra-op threads busy-wait for work.
    """

    def __init__(
        self,
        onnx_path: Path,
        tokenizer_path: Path,
        max_seq_length: int = 64,
        batch_size: int = 64,
        threads: int = 0,
        spin: bool = False,
    ) -> None:
        for path in (onnx_path, tokenizer_path):
            if not path.is_file():
                raise ModelNotFoundError(f"{path} is missing; export the model with `aisle encoders export`.")
        self._tokenizer = load_tokenizer(tokenizer_path, max_seq_length)
        self._onnx_path = onnx_path
        self._spin = spin
        self._session = self._new_session(threads)
        self._workers = threads or _usable_cores()
        self._inputs = {i.name for i in self._session.get_inputs()}
        self._dimension = int(self._session.get_outputs()[0].shape[-1])
        self._batch_size = batch_size
        # Made on the first call of several batches (the API never makes one).
        self._side_by_side: tuple[ort.InferenceSession, ThreadPoolExecutor] | None = None
        self._side_by_side_lock = threading.Lock()

    def _new_session(self, threads: int) -> ort.InferenceSession:
        return onnx_session(self._onnx_path, threads, self._spin)

    @property
    def dimension(self) -> int:
        """Length of each vector."""
        return self._dimension

    def encode(self, texts: Sequence[str]) -> Vectors:
        """One L2-normalized float32 row per text."""
        if not texts:
            return np.zeros((0, self._dimension), dtype=np.float32)
        # Batches of similar length waste little on padding; rows go back to input order at the end.
        # Longest first, so that batches run side by side finish close together.
        encodings = self._tokenizer.encode_batch(list(texts))
        order = np.argsort([-len(e.ids) for e in encodings], kind="stable")
        batches = [order[start : start + self._batch_size] for start in range(0, len(order), self._batch_size)]
        if len(batches) > 1 and self._workers > 1:
            # Whole batches on single-threaded runs, one per core: 4,096 Home Depot titles encoded 5-10%
            # faster than with every operator split across both cores, and a run that OpenSearch
            # preempts delays only itself, not a partner waiting at each operator's end.
            session, pool = self._side_by_side_runs()
            results = pool.map(lambda rows: self._run(session, [encodings[i] for i in rows]), batches)
        else:
            results = (self._run(self._session, [encodings[i] for i in rows]) for rows in batches)
        vectors = np.empty((len(texts), self._dimension), dtype=np.float32)
        for rows, batch_vectors in zip(batches, results, strict=True):
            vectors[rows] = batch_vectors
        return vectors

    def _side_by_side_runs(self) -> tuple[ort.InferenceSession, ThreadPoolExecutor]:
        with self._side_by_side_lock:
            if self._side_by_side is None:
                pool = ThreadPoolExecutor(self._workers, thread_name_prefix="aisle-onnx")
                self._side_by_side = (self._new_session(1), pool)
            return self._side_by_side

    def _run(self, session: ort.InferenceSession, encodings: list[Encoding]) -> Vectors:
        feeds = onnx_feeds(encodings)
        (hidden,) = session.run(None, {k: v for k, v in feeds.items() if k in self._inputs})
        return mean_pool_normalize(hidden, feeds["attention_mask"])


def load_tokenizer(path: Path, max_length: int) -> Tokenizer:
    """A `tokenizer.json` that truncates to `max_length` tokens and pads only to a batch's longest text."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(path))
    # Saved tokenizers may pad every text to a fixed length (128 here): pad to the batch's
    # longest instead, which for ~20-token titles is several times less work.
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=max_length)
    return tokenizer


def onnx_session(path: Path, threads: int, spin: bool = False) -> ort.InferenceSession:
    """An ONNX Runtime CPU session of the model at `path` (`threads` 0: one per core)."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    # Busy-waiting threads take the cores OpenSearch needs when both share a machine: off, the
    # Home Depot load ran 9% faster end to end (benchmarks/index_throughput.py).
    options.add_session_config_entry("session.intra_op.allow_spinning", "1" if spin else "0")
    # One query at a time in the API: parallel inter-op scheduling only adds overhead there.
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def onnx_feeds(encodings: list[Encoding]) -> dict[str, npt.NDArray[np.int64]]:
    """A transformer's inputs for a batch of encodings, each padded to the longest."""
    width = max(len(e.ids) for e in encodings)
    for encoding in encodings:
        encoding.pad(width)
    return {
        "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
        "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
        "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
    }


def _usable_cores() -> int:
    # The cores this process may run on (a container's cpuset), not the machine's.
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1
