from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from rich.console import Console

from encoders import Encoder
from indexer import IndexerSettings, IndexStore, build_index, build_users_index
from kernel.catalog.reader import RawRow
from kernel.rejects import RejectLog
from query_api import QueryApiSettings, create_app
from tests.support.catalogs import PRODUCTS, write_jsonl
from tests.support.engine import TestEngine

NOW = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
# Shoppers with opposite tastes for the ambiguous query "bench".
HISTORIES = {
    "gardener": ["p08", "p11", "p12", "p13", "p14"],
    "handyman": ["p01", "p02", "p06", "p07", "p09", "p28"],
    "ghost": ["no-such-product"],  # known user, but nothing usable: a cold user
}
# Shoppers known from a profile (a CRM export) alone: no purchases yet.
PROFILES = {"newcomer": {"region": "south", "customer_type": "pro"}}


@pytest.fixture(scope="session")
def catalog_aliases(
    opensearch: TestEngine, encoder: Encoder, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[IndexerSettings]:
    """The test catalog and its shoppers, indexed once for all API tests."""
    tag = uuid.uuid4().hex[:8]
    tmp = tmp_path_factory.mktemp("api-catalog")
    settings = IndexerSettings(alias=f"api{tag}", users_index=f"apiu{tag}", rejects_dir=tmp, canary_count=2)
    store = IndexStore(opensearch.client, settings)
    build_index(store, encoder, write_jsonl(tmp / "catalog.jsonl", PRODUCTS), settings, console=Console(quiet=True))
    events = [
        RawRow(i, {"user_id": user, "product_id": pid, "timestamp": (NOW - dt.timedelta(days=i)).isoformat()})
        for user, pids in HISTORIES.items()
        for i, pid in enumerate(pids)
    ]
    profiles = [RawRow(i + 1, {"user_id": user, **fields}) for i, (user, fields) in enumerate(PROFILES.items())]
    build_users_index(
        store,
        settings.alias,
        events,
        RejectLog(tmp / "u.jsonl"),
        settings.model_copy(update={"max_reject_rate": 1}),
        profiles=profiles,
    )
    yield settings
    for prefix in (settings.alias, settings.users_index):
        opensearch.client.indices.delete(index=f"{prefix}-*", ignore_unavailable=True)


def api_settings(indexed: IndexerSettings, **overrides: object) -> QueryApiSettings:
    settings: dict[str, object] = {"pagination_depth": 30, **overrides}
    return QueryApiSettings(alias=indexed.alias, users_index=indexed.users_index, **settings)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def api(opensearch: TestEngine, encoder: Encoder, catalog_aliases: IndexerSettings) -> Iterator[TestClient]:
    """The API over the test catalog, fusing in OpenSearch."""
    app = create_app(api_settings(catalog_aliases), client=opensearch.client, encoder=encoder)
    with TestClient(app) as client:
        yield client


@pytest.fixture(scope="session")
def api_fusing_in_service(
    opensearch: TestEngine, encoder: Encoder, catalog_aliases: IndexerSettings
) -> Iterator[TestClient]:
    """The same API with fusion forced into the service, as for a cluster without neural-search."""
    app = create_app(
        api_settings(catalog_aliases, fusion_in_opensearch=False), client=opensearch.client, encoder=encoder
    )
    with TestClient(app) as client:
        yield client


@pytest.fixture
def tmp_catalog(tmp_path: Path) -> Path:
    return write_jsonl(tmp_path / "catalog.jsonl", PRODUCTS)
