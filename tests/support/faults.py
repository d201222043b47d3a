"""Fault injection around a real opensearch-py client: subclasses override one method, the rest passes through."""

from __future__ import annotations

from typing import Any

__all__ = ["ClientWrapper"]


class ClientWrapper:
    """Delegates every attribute to the wrapped client; subclasses override what they break."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.bulk_calls = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)
