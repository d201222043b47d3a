"""A SIMULATED store with shoppers: catalog, purchase histories, search sessions and ground truth.

Real purchase histories are not public, so personalization is measured on this seeded
simulation over real Google-taxonomy branches. Every report that uses it says so.
"""

from __future__ import annotations

from aisle.simulate.store import SimulatedStore, StoreConfig, simulate, write_store

__all__ = ["SimulatedStore", "StoreConfig", "simulate", "write_store"]
