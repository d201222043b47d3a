"""Shared bits of the benchmarks: where the data is, the model to use, medians and the result line."""

from __future__ import annotations

import json
import os
import platform
import statistics
from pathlib import Path
from typing import Any

from opensearchpy import OpenSearch

from encoders import BASE_MODEL_ID, Backend, Encoder, EncoderSettings, ProductTextTemplate, base_model_dir, export_model
from encoders import load_encoder as _load
from indexer import IndexerSettings, IndexStore
from indexer.ensure import ensure_products
from kernel.catalog import CatalogFormat

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"


def data_dir() -> Path:
    """`AISLE_DATA_DIR`, else `../shared/data` beside the repository."""
    path = Path(os.environ.get("AISLE_DATA_DIR", ROOT.parent / "shared" / "data"))
    if not (path / "home-depot").is_dir():
        raise SystemExit(f"No Home Depot data under {path}; set AISLE_DATA_DIR to the folder holding home-depot/.")
    return path


def exported_base_model() -> Path:
    """The base model exported to ONNX once, cached beside the results."""
    out = RESULTS / "models" / "base"
    if not (out / "aisle-encoder.json").is_file():
        export_model(base_model_dir(), out, BASE_MODEL_ID, ProductTextTemplate())
    return out


def load_encoder(model_dir: Path, backend: Backend, threads: int = 0) -> Encoder:
    """The model on one backend (`threads` as in `EncoderSettings`; 0 = one per usable core)."""
    return _load(EncoderSettings(model_dir=model_dir, backend=backend, threads=threads))


def home_depot_index(client: OpenSearch, model_dir: Path, alias: str = "products") -> str:
    """`alias` on the full Home Depot catalog encoded with `model_dir`: the live index if current, else built now."""
    catalog = data_dir() / "home-depot" / "products.csv.gz"
    store = IndexStore(client, IndexerSettings(alias=alias))
    encoder = _load(EncoderSettings(model_dir=model_dir))
    return ensure_products(store, encoder, catalog, IndexerSettings(alias=alias), fmt=CatalogFormat.HOME_DEPOT).index


def median(values: list[float]) -> float:
    """The median of repeated measurements."""
    return statistics.median(values)


def write_result(name: str, payload: dict[str, Any]) -> Path:
    """Write the result JSON (with the machine it ran on) and return its path."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    payload = {**payload, "machine": {"cpus": os.cpu_count(), "python": platform.python_version()}}
    path.write_text(json.dumps(payload, indent=2))
    return path
