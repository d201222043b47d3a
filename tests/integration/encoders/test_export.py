"""The real base model, exported to ONNX and loaded through every backend."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import numpy as np
import pytest

from encoders import (
    BASE_MODEL_ID,
    Backend,
    EncoderSettings,
    ProductTextTemplate,
    base_model_dir,
    export_model,
    load_encoder,
)
from encoders.backends import OnnxTextEncoder
from encoders.errors import ModelNotFoundError
from encoders.export import ONNX_FP32, ONNX_INT8, PROBE_QUERIES

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("model") / "base"
    export_model(base_model_dir(), out, BASE_MODEL_ID, ProductTextTemplate("{title}. {leaf}"))
    return out


def test_export_writes_both_onnx_models_and_records_their_agreement(exported: Path) -> None:
    metadata = json.loads((exported / "aisle-encoder.json").read_text())
    assert metadata["onnx_min_cosine_vs_torch"]["onnx/model.onnx"] > 0.9999
    assert metadata["onnx_min_cosine_vs_torch"]["onnx/model_int8.onnx"] >= 0.99
    assert metadata["template"]["template"] == "{title}. {leaf}"


def test_every_backend_shares_the_fingerprint_and_agrees_with_torch(exported: Path) -> None:
    encoders = {
        b: load_encoder(EncoderSettings(model_dir=exported, backend=b))
        for b in (Backend.TORCH, Backend.ONNX, Backend.ONNX_INT8)
    }
    assert len({e.fingerprint.value for e in encoders.values()}) == 1
    reference = encoders[Backend.TORCH].encode_texts(PROBE_QUERIES)
    for backend in (Backend.ONNX, Backend.ONNX_INT8):
        vectors = encoders[backend].encode_texts(PROBE_QUERIES)
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
        assert np.min(np.sum(vectors * reference, axis=1)) >= (0.9999 if backend is Backend.ONNX else 0.99)


def test_a_call_of_several_batches_runs_them_side_by_side_and_keeps_the_input_order(exported: Path) -> None:
    texts = [f"{'heavy duty ' * (i % 7)}cordless drill kit {i}" for i in range(40)]
    for model, tolerance in ((ONNX_FP32, 1e-5), (ONNX_INT8, 0.01)):
        encoder = OnnxTextEncoder(exported / model, exported / "tokenizer.json", batch_size=4, threads=2)
        workers_before = _onnx_workers()
        together = encoder.encode(texts)
        assert _onnx_workers() - workers_before  # new side-by-side workers ran the batches
        alone = np.vstack([encoder.encode([text]) for text in texts])
        # int8 runs quantize each batch's activations with the batch's own range: close, not equal.
        assert np.min(np.sum(together * alone, axis=1)) >= 1 - tolerance


def test_auto_prefers_the_int8_export(exported: Path) -> None:
    assert load_encoder(EncoderSettings(model_dir=exported)).backend is Backend.ONNX_INT8


def test_the_base_model_ranks_a_matching_title_first() -> None:
    encoder = load_encoder(EncoderSettings())
    titles = ["Cedar garden bench", "Cordless hammer drill kit", "Interior wall paint"]
    scores = encoder.encode_texts(titles) @ encoder.encode_query("cordless drill")
    assert titles[int(np.argmax(scores))] == "Cordless hammer drill kit"


def test_a_missing_model_directory_is_named(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match=f"AISLE_ENCODER_MODEL_DIR={tmp_path / 'nope'} does not exist"):
        load_encoder(EncoderSettings(model_dir=tmp_path / "nope"))


def _onnx_workers() -> set[threading.Thread]:
    return {thread for thread in threading.enumerate() if thread.name.startswith("aisle-onnx")}


def test_export_refuses_a_folder_holding_something_else_and_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from aisle.cli import app

    mine = tmp_path / "my-work"
    mine.mkdir()
    (mine / "notes.txt").write_text("not a model")
    refused = CliRunner().invoke(app, ["encoders", "export", "--out", str(mine)])
    assert refused.exit_code == 1 and "--force" in str(refused.exception)
    assert (mine / "notes.txt").read_text() == "not a model", "nothing of the folder was touched"
    monkeypatch.chdir(mine)
    here = CliRunner().invoke(app, ["encoders", "export", "--out", "."])
    assert here.exit_code == 1 and "working directory" in str(here.exception)
    assert (mine / "notes.txt").is_file()


def test_export_replaces_an_earlier_export_and_with_force_anything(exported: Path, tmp_path: Path) -> None:
    from encoders.errors import ExportError

    again = tmp_path / "again"
    export_model(base_model_dir(), again, BASE_MODEL_ID, ProductTextTemplate())
    export_model(base_model_dir(), again, BASE_MODEL_ID, ProductTextTemplate())  # an export over an export
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "x").write_text("x")
    with pytest.raises(ExportError, match="holds files that are not an aisle export"):
        export_model(base_model_dir(), tmp_path / "other", BASE_MODEL_ID, ProductTextTemplate())
    export_model(base_model_dir(), tmp_path / "other", BASE_MODEL_ID, ProductTextTemplate(), replace=True)
    assert (tmp_path / "other" / "aisle-encoder.json").is_file() and not (tmp_path / "other" / "x").exists()
