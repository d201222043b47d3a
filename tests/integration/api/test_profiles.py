"""Shopper profiles personalize searches of shoppers who have not bought anything yet."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient

from encoders import Encoder
from encoders.user_tower import LearnedGate
from indexer import IndexerSettings
from kernel.product import Product
from query_api import create_app
from tests.integration.api.conftest import api_settings
from tests.support.catalogs import PRODUCTS
from tests.support.engine import TestEngine


@pytest.fixture(scope="module")
def api_with_profiles(
    opensearch: TestEngine, encoder: Encoder, catalog_aliases: IndexerSettings
) -> Iterator[TestClient]:
    """The API with a gate that learned one offset: shoppers from the south lean toward workbenches."""
    workbench = encoder.encode_products([Product.model_validate(next(p for p in PRODUCTS if p["id"] == "p09"))])[0]
    zeros = np.zeros(encoder.dimension, np.float32)
    gate = LearnedGate(zeros, zeros, 0.0, 0.0, 1.0, demographic_offsets={"region=south": 0.8 * workbench})
    gated = Encoder(encoder.text_encoder, encoder.template, encoder.fingerprint, encoder.backend, user_gate=gate)
    app = create_app(api_settings(catalog_aliases), client=opensearch.client, encoder=gated)
    with TestClient(app) as client:
        yield client


def _search(api: TestClient, **params: Any) -> dict[str, Any]:
    response = api.get("/search", params={"q": "bench", "size": 10, **params})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_cold_shopper_with_a_known_profile_gets_a_personal_ranking(api_with_profiles: TestClient) -> None:
    body = _search(api_with_profiles, user_id="newcomer")
    assert body["mode_used"] == "personalized"
    assert body["personalization"] == {
        "requested": True,
        "applied": True,
        "history_size": 0,
        "reason": "profile applied (no purchase history)",
        "demographics_applied": True,
    }
    ranked = [hit["id"] for hit in body["hits"]]
    anonymous = [hit["id"] for hit in _search(api_with_profiles, mode="hybrid")["hits"]]
    assert anonymous.index("p08") < anonymous.index("p09"), "without a profile the garden bench leads"
    assert ranked.index("p09") < ranked.index("p08"), "the south's offset brings the workbench forward"


def test_a_shopper_without_a_profile_or_history_still_falls_back(api_with_profiles: TestClient) -> None:
    body = _search(api_with_profiles, user_id="ghost")
    assert body["mode_used"] == "hybrid"
    assert body["personalization"]["reason"] == "no purchase history (cold user)"
    assert body["personalization"]["demographics_applied"] is False


def test_explanations_say_how_far_the_profile_moved_each_hit(api_with_profiles: TestClient) -> None:
    hits = {h["id"]: h["explanation"] for h in _search(api_with_profiles, user_id="newcomer", explain="true")["hits"]}
    assert hits["p09"]["personal_delta"] > hits["p08"]["personal_delta"]  # toward the workbench, not benches at large
