"""Refuse to serve an index whose vectors came from another encoder than the one loaded."""

from __future__ import annotations

from encoders import EncoderFingerprint
from indexer.errors import AliasError, FingerprintMismatchError
from indexer.store import IndexStore

__all__ = ["check_encoder"]


def check_encoder(store: IndexStore, alias: str, fingerprint: EncoderFingerprint) -> str:
    """The index behind `alias`, after checking it was built with `fingerprint`.

    Raises:
        AliasError: the alias does not exist.
        FingerprintMismatchError: the index records another encoder (or none).
    """
    targets = store.alias_targets(alias)
    if not targets:
        raise AliasError(f"Alias {alias!r} does not exist; build an index with `aisle index build` first.")
    index = targets[0]
    recorded = store.meta(index).get("aisle", {}).get("encoder", {}).get("value")
    if recorded != fingerprint.value:
        raise FingerprintMismatchError(
            f"Index {index} (alias {alias!r}) was built with encoder {recorded or 'unknown'}, but the loaded "
            f"encoder is {fingerprint.value}. Rebuild the index with `aisle index build`, or set "
            "AISLE_ENCODER_MODEL_DIR to the model the index was built with."
        )
    return index
