"""User profiles from the `users` index, cached for a short while (a purchase is not urgent)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from cachetools import TTLCache

from query_api.search.backend import SearchBackend

__all__ = ["ProfileCache", "UserProfile"]


@dataclass(frozen=True)
class UserProfile:
    """What the API needs of a shopper: the user vector (None for no usable history), history size, profile."""

    user_id: str
    vector: npt.NDArray[np.float32] | None
    history_size: int
    demographics: dict[str, str] = field(default_factory=dict)
    history: tuple[str, ...] = ()  # the product ids of the recent history kept in the users index


class ProfileCache:
    """A TTL cache in front of the users index; unknown users are cached as None too.

    Args:
        backend: Where profiles are read from.
        index: The users alias.
        ttl_s: Seconds a profile is kept.
        size: Profiles kept at most.
    """

    def __init__(self, backend: SearchBackend, index: str, ttl_s: float, size: int) -> None:
        self._backend = backend
        self._index = index
        self._cache: TTLCache[str, UserProfile | None] = TTLCache(maxsize=max(size, 1), ttl=ttl_s)
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, user_id: str) -> UserProfile | None:
        """The profile, or None for a user the index does not know."""
        with self._lock:
            if user_id in self._cache:
                self.hits += 1
                return self._cache[user_id]
        self.misses += 1
        source = self._backend.get_source(self._index, user_id)
        profile = None
        if source is not None:
            vector = source.get("vector")
            profile = UserProfile(
                user_id,
                np.asarray(vector, dtype=np.float32) if vector else None,
                len(source.get("history") or []),
                {str(k): str(v) for k, v in (source.get("demographics") or {}).items()},
                tuple(str(h["product_id"]) for h in source.get("history") or [] if h.get("product_id")),
            )
        with self._lock:
            self._cache[user_id] = profile
        return profile
