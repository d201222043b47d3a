"""Export a sentence-transformers model for serving: the model itself, ONNX fp32 and ONNX int8.

The int8 model is dynamically quantized per channel, with the feed-forward output projections
and the last layer left in fp32: quantizing the projections costs the most accuracy in MiniLM
(min cosine 0.985 → 0.990 on Home Depot queries when kept), and the last layer's error reaches the
pooled vector unsmoothed (with it in fp32, 0 of 1,000 Home Depot queries fall below 0.99 against 1
without, for 0.36 ms more per query). Export measures the cosine of both ONNX models against torch on a
probe set and records it, with the fingerprint, in `aisle-encoder.json`.
"""

from __future__ import annotations

import json
import re
import shutil
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import cast

import numpy as np

from encoders.backends import OnnxTextEncoder, TorchTextEncoder
from encoders.errors import ExportError
from encoders.fingerprint import METADATA_FILE, EncoderFingerprint, weights_digest
from encoders.text import ProductTextTemplate
from encoders.user_tower import USER_GATE_FILE

__all__ = ["ONNX_FP32", "ONNX_INT8", "PROBE_QUERIES", "export_model", "quantize_int8"]

ONNX_FP32 = "onnx/model.onnx"
ONNX_INT8 = "onnx/model_int8.onnx"
# Short retail queries like those the API serves; the cosine check runs on them.
PROBE_QUERIES = (
    "cordless drill",
    "18v lithium ion battery",
    "garden bench",
    "pvc pipe 3/4 in",
    "toilet flapper",
    "deck stain semi transparent",
    "led shop light 4ft",
    "ceiling fan with light",
    "door knob satin nickel",
    "weed eater string",
    "vinyl plank flooring",
    "outdoor patio furniture",
    "water heater 50 gallon",
    "kitchen faucet pull down",
    "drywall screws 1 5/8",
    "paint roller",
    "circular saw blade",
    "mulch",
)


def _check_destination(out_dir: Path, replace: bool) -> None:
    """Refuse to replace the working directory, a parent of it, or a folder of someone else's files."""
    target, here = out_dir.resolve(), Path.cwd().resolve()
    if target == here or target in here.parents:
        raise ExportError(
            f"--out {out_dir} is the working directory or holds it; an export replaces its folder. "
            "Give a folder of its own, e.g. --out models/base."
        )
    foreign = target.is_dir() and any(target.iterdir()) and not (target / METADATA_FILE).is_file()
    if foreign and not replace:
        raise ExportError(
            f"{out_dir} holds files that are not an aisle export; nothing was written. Choose an empty or new "
            "folder, or pass --force to replace everything in it."
        )


def export_model(
    source_dir: Path,
    out_dir: Path,
    model_id: str,
    template: ProductTextTemplate,
    probes: Sequence[str] = PROBE_QUERIES,
    *,
    replace: bool = False,
) -> EncoderFingerprint:
    """Write `out_dir` with the sentence-transformers model, its ONNX exports and `aisle-encoder.json`.

    Args:
        source_dir: A sentence-transformers model directory.
        out_dir: Where to write; an earlier export there is replaced, a folder of other files only with `replace`.
        model_id: A name for the model, part of its fingerprint.
        template: The product text template the model is meant for.
        probes: Texts the ONNX exports are checked on.
        replace: Replace `out_dir` even when it holds files that are not an export.

    Returns:
        The exported model's fingerprint.

    Raises:
        ExportError: export or quantization failed, or `out_dir` may not be replaced.
    """
    _check_destination(out_dir, replace)
    torch_encoder = TorchTextEncoder(source_dir, max_seq_length=128)
    staging = out_dir.with_name(out_dir.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    torch_encoder.model.save(str(staging))
    if (source_dir / USER_GATE_FILE).is_file():  # a personalized model's user tower travels with it
        shutil.copy2(source_dir / USER_GATE_FILE, staging / USER_GATE_FILE)
    (staging / "onnx").mkdir()
    try:
        _export_onnx(torch_encoder, staging / ONNX_FP32)
        quantize_int8(staging / ONNX_FP32, staging / ONNX_INT8)
    except Exception as exc:  # torch.onnx and onnxruntime raise many unrelated types
        shutil.rmtree(staging, ignore_errors=True)
        raise ExportError(f"Exporting {source_dir} to ONNX failed: {type(exc).__name__}: {exc}") from exc
    reference = torch_encoder.encode(list(probes))
    agreement = {}
    for name in (ONNX_FP32, ONNX_INT8):
        onnx = OnnxTextEncoder(staging / name, staging / "tokenizer.json", max_seq_length=128)
        agreement[name] = float(np.min(np.sum(onnx.encode(list(probes)) * reference, axis=1)))
    # The source's digest, not the re-saved copy's: saving may change the bytes, not the model.
    fingerprint = EncoderFingerprint(model_id, weights_digest(source_dir), template.describe(), torch_encoder.dimension)
    metadata = {
        "fingerprint": fingerprint.to_dict(),
        "template": {"template": template.template, "attribute_keys": list(template.attribute_keys)},
        "onnx_min_cosine_vs_torch": agreement,
    }
    (staging / METADATA_FILE).write_text(json.dumps(metadata, indent=2))
    shutil.rmtree(out_dir, ignore_errors=True)
    staging.rename(out_dir)
    weights_digest.cache_clear()
    return fingerprint


def _export_onnx(encoder: TorchTextEncoder, path: Path) -> None:
    import torch

    transformer = cast(torch.nn.Module, encoder.model[0].auto_model)
    transformer.eval()

    class LastHiddenState(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(
            self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor
        ) -> torch.Tensor:
            output = transformer(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
            hidden: torch.Tensor = output.last_hidden_state
            return hidden

    sample = encoder.model.tokenizer(["a cordless drill", "a bench"], padding=True, return_tensors="pt")
    names = ["input_ids", "attention_mask", "token_type_ids"]
    # The exporter warns about tracing Python-side shape logic and about how it lowers indexing;
    # export_model checks the exported model numerically against torch instead.
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            LastHiddenState(),
            tuple(sample[n] for n in names),
            str(path),
            input_names=names,
            output_names=["last_hidden_state"],
            dynamic_axes={n: {0: "batch", 1: "tokens"} for n in [*names, "last_hidden_state"]},
            opset_version=17,
            dynamo=False,  # the TorchScript exporter handles dynamic sequence lengths of BERT cleanly
        )


def quantize_int8(fp32: Path, int8: Path) -> None:
    """Write `int8`: `fp32` with its MatMuls quantized per channel, the accuracy-critical ones kept (see above)."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    matmuls = [node.name for node in onnx.load(str(fp32)).graph.node if node.op_type == "MatMul"]
    ffn_output = [name for name in matmuls if "/output/dense/" in name and "/attention/" not in name]
    last_layer = max((int(m.group(1)) for name in matmuls if (m := re.search(r"/layer\.(\d+)/", name))), default=-1)
    kept = ffn_output + [name for name in matmuls if f"/layer.{last_layer}/" in name]
    quantize_dynamic(
        str(fp32),
        str(int8),
        weight_type=QuantType.QInt8,
        per_channel=True,
        op_types_to_quantize=["MatMul"],
        nodes_to_exclude=sorted(set(kept)),
    )
