"""The process-wide settings caches, cleared together so that a test's environment is the one read."""

from __future__ import annotations

from aisle.engine.settings import get_engine_settings
from encoders.settings import get_encoder_settings
from indexer.settings import get_indexer_settings
from kernel.opensearch.settings import get_connection_settings
from query_api.settings import get_settings

__all__ = ["clear_settings_caches"]

_CACHED = (get_connection_settings, get_engine_settings, get_encoder_settings, get_indexer_settings, get_settings)


def clear_settings_caches() -> None:
    """Forget every service's settings: each is read once per process, and tests change the environment."""
    for getter in _CACHED:
        getter.cache_clear()
