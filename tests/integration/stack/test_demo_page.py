"""The demo page in headless Chromium (Debian's package; Playwright drives it, downloading nothing)."""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.integration.stack.conftest import Stack, store_dir

MODES = ["bm25", "hybrid", "personalized"]
ARTIFACTS = Path(os.environ.get("AISLE_TEST_ARTIFACTS", "artifacts"))


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Debian's chromium is not installed: run scripts/bootstrap (as root it installs it).")
    with sync_playwright() as playwright:
        # Root cannot use Chromium's sandbox; the page is our own, served from loopback.
        browser = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, stack: Stack) -> Iterator[Page]:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{stack.report.api_url}/")
    page.wait_for_selector("body[data-shoppers=loaded]")
    yield page
    page.close()


def searched(page: Page, action: object = None) -> None:
    """Run `action` (a callable) and wait until the page has finished the search it starts."""
    before = int(page.evaluate("Number(document.body.dataset.searches || 0)"))
    assert callable(action)
    action()
    page.wait_for_function(f"Number(document.body.dataset.searches || 0) > {before}")


def column_ids(page: Page, mode: str) -> list[str]:
    return page.eval_on_selector_all(f'.column[data-mode="{mode}"] .hit', "hits => hits.map(h => h.dataset.id)")


def ambiguous_query(stack: Stack) -> str:
    """The head noun most simulated searches end with ("bench", "saw"): it spans several categories."""
    sessions = [json.loads(line) for line in (store_dir(stack) / "sessions.jsonl").read_text().splitlines()]
    return Counter(s["query"].split()[-1] for s in sessions).most_common(1)[0][0]


def shoppers_who_disagree(stack: Stack, query: str) -> tuple[str, str]:
    """Two shoppers whose personalized top 10 for `query` differ, found through the API."""
    shoppers = httpx.get(f"{stack.report.api_url}/shoppers").json()
    seen: dict[tuple[str, ...], str] = {}
    for shopper in shoppers:
        params = {"q": query, "mode": "personalized", "user_id": shopper["user_id"]}
        ids = tuple(h["id"] for h in httpx.get(f"{stack.report.api_url}/search", params=params).json()["hits"])
        if seen and ids not in seen:
            return next(iter(seen.values())), shopper["user_id"]
        seen.setdefault(ids, shopper["user_id"])
    pytest.fail(f"all {len(shoppers)} shoppers get the same personalized results for {query!r}")


def test_the_page_loads_with_a_search_box_and_shoppers(page: Page) -> None:
    assert page.title() == "aisle · search demo"
    assert page.is_visible("#q")
    assert not page.is_visible("#key-form"), "an API without a key asks for none"
    options = page.eval_on_selector_all("#shopper option", "os => os.map(o => o.textContent)")
    assert options[0] == "anonymous" and len(options) > 1
    assert all("purchase" in label for label in options[1:])


def test_a_query_fills_all_three_columns_with_explained_results(page: Page, stack: Stack) -> None:
    query = ambiguous_query(stack)
    page.fill("#q", query)
    searched(page, lambda: page.click("button[type=submit]"))
    for mode in MODES:
        assert column_ids(page, mode), f"no results in the {mode} column"
        assert page.inner_text(f'.column[data-mode="{mode}"] .status').endswith("ms") or mode == "personalized"
    # Hybrid results explain both signals.
    assert "lexical" in page.inner_text('.column[data-mode="hybrid"] .hit .why')
    assert "semantic" in page.inner_text('.column[data-mode="hybrid"] .hit .why')
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "demo-page.png"), full_page=True)
    assert (ARTIFACTS / "demo-page.png").stat().st_size > 10_000


def test_switching_the_shopper_changes_the_personalized_column(page: Page, stack: Stack) -> None:
    query = ambiguous_query(stack)
    first, second = shoppers_who_disagree(stack, query)
    page.fill("#q", query)
    searched(page, lambda: page.select_option("#shopper", first))
    as_first = column_ids(page, "personalized")
    hybrid = column_ids(page, "hybrid")
    assert "personalized (" in page.inner_text('.column[data-mode="personalized"] .status')
    assert "personal" in page.inner_text('.column[data-mode="personalized"] .hit .why')
    searched(page, lambda: page.select_option("#shopper", second))
    assert column_ids(page, "personalized") != as_first
    assert column_ids(page, "hybrid") == hybrid  # only the personalized ranking depends on the shopper
    searched(page, lambda: page.select_option("#shopper", ""))
    assert "not personalized" in page.inner_text('.column[data-mode="personalized"] .status')


def test_a_category_facet_narrows_every_column(page: Page, stack: Stack) -> None:
    page.fill("#q", ambiguous_query(stack))
    searched(page, lambda: page.click("button[type=submit]"))
    facet = page.locator('ul[data-facet="category"] li').first
    category = str(facet.get_attribute("data-value")).replace(">", " > ")
    searched(page, lambda: facet.click())
    assert page.is_visible('.chip[data-filter="category"]')
    for mode in MODES:
        metas = page.eval_on_selector_all(f'.column[data-mode="{mode}"] .hit .meta', "ms => ms.map(m => m.textContent)")
        assert metas and all(category in meta for meta in metas), (mode, category, metas)
    searched(page, lambda: page.click('.chip[data-filter="category"]'))
    assert not page.is_visible('.chip[data-filter="category"]')


def test_a_price_filter_narrows_results(page: Page, stack: Stack) -> None:
    page.fill("#q", ambiguous_query(stack))
    searched(page, lambda: page.click("button[type=submit]"))
    page.fill("#price-max", "50")
    searched(page, lambda: page.dispatch_event("#price-max", "change"))
    for mode in MODES:
        metas = page.eval_on_selector_all(f'.column[data-mode="{mode}"] .hit .meta', "ms => ms.map(m => m.textContent)")
        prices = [float(m.rsplit("$", 1)[1]) for m in metas if "$" in m]
        assert prices and max(prices) <= 50, (mode, prices)


@pytest.fixture
def keyed_api(stack: Stack) -> Iterator[str]:
    """The stack's indices behind an API that needs a key, served from a thread on a port of its own."""
    import threading

    import uvicorn

    from aisle.engine import free_port
    from encoders import EncoderSettings, load_encoder
    from kernel.opensearch import make_client
    from query_api import QueryApiSettings, create_app

    settings = QueryApiSettings(alias=stack.alias, users_index=stack.users, api_key="s3cret")
    app = create_app(
        settings,
        client=make_client(stack.engine),
        encoder=load_encoder(EncoderSettings(model_dir=stack.report.model_dir)),
    )
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        if server.started:
            break
        thread.join(0.1)
    yield url
    server.should_exit = True
    thread.join(10)


def test_the_page_asks_for_the_api_key_once_and_sends_it(browser: Browser, keyed_api: str, stack: Stack) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{keyed_api}/")
    page.wait_for_selector("body[data-shoppers=loaded]")
    assert page.is_visible("#key-form"), "the shoppers request was refused, so the page asks for the key"
    page.fill("#api-key", "s3cret")
    page.fill("#q", ambiguous_query(stack))
    searched(page, lambda: page.click("#key-form button"))
    assert not page.is_visible("#key-form")
    assert all(column_ids(page, mode) for mode in MODES)
    assert page.eval_on_selector_all("#shopper option", "os => os.length") > 1, "the shoppers load with the key"
    page.close()


def _visible_columns(page: Page) -> list[str]:
    return [mode for mode in MODES if page.is_visible(f'.column[data-mode="{mode}"]')]


def test_a_phone_shows_one_ranking_at_a_time_at_full_width(browser: Browser, stack: Stack) -> None:
    page = browser.new_page(viewport={"width": 390, "height": 844})
    page.goto(f"{stack.report.api_url}/")
    page.wait_for_selector("body[data-shoppers=loaded]")
    page.fill("#q", ambiguous_query(stack))
    searched(page, lambda: page.click("button[type=submit]"))
    assert _visible_columns(page) == ["personalized"]
    # Nothing is wider than the screen (the page never scrolls sideways).
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    box = page.locator('.column[data-mode="personalized"]').bounding_box()
    assert box is not None and box["width"] >= 340 and box["x"] + box["width"] <= 390
    # No result's text runs into another's or past the screen's edge.
    boxes = [b for b in (h.bounding_box() for h in page.locator('.column[data-mode="personalized"] .hit').all()) if b]
    assert boxes and all(b["x"] + b["width"] <= 390 for b in boxes)
    assert all(upper["y"] + upper["height"] <= lower["y"] + 0.5 for upper, lower in zip(boxes, boxes[1:], strict=False))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "demo-page-phone.png"), full_page=True)
    page.click('#views button[data-view="bm25"]')
    assert _visible_columns(page) == ["bm25"] and "view=bm25" in page.url
    assert column_ids(page, "bm25")
    page.close()


def test_a_link_opens_its_search_and_back_returns_to_the_one_before(browser: Browser, stack: Stack) -> None:
    query = ambiguous_query(stack)
    shopper = httpx.get(f"{stack.report.api_url}/shoppers").json()[0]["user_id"]
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{stack.report.api_url}/?q={query}&user={shopper}&in_stock=1")
    page.wait_for_function("Number(document.body.dataset.searches || 0) >= 1")
    assert page.input_value("#q") == query and page.input_value("#shopper") == shopper
    assert page.is_checked("#in-stock")
    assert "personalized (" in page.inner_text('.column[data-mode="personalized"] .status')
    first = column_ids(page, "personalized")
    assert first
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "demo-page-deep-link.png"), full_page=True)
    page.fill("#q", "lamp")
    searched(page, lambda: page.click("button[type=submit]"))
    assert "q=lamp" in page.url and f"user={shopper}" in page.url
    searched(page, lambda: page.go_back())
    assert page.input_value("#q") == query and page.is_checked("#in-stock")
    assert column_ids(page, "personalized") == first
    page.close()
