"""`aisle up` / `aisle down`: the whole aisle stack on this machine, from nothing to a search page.

`bring_up` starts OpenSearch, generates the SIMULATED store (or takes the user's catalog), fine-tunes
the encoder within a time budget, indexes the catalog and the shoppers' profiles, and starts the API
in the background. Each step records the inputs it was built from in `<home>/state.json`; a rerun
skips every step whose inputs (file digests, settings, model fingerprint) have not changed.
"""

from __future__ import annotations

from aisle.quickstart.settings import StackSettings
from aisle.quickstart.stack import StackReport, StepReport, bring_up, take_down

__all__ = ["StackReport", "StackSettings", "StepReport", "bring_up", "take_down"]
