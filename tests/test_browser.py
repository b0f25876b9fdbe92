"""The reading room in a real browser: the landing view, the search box, an article, sources.

Drives Debian's chromium (``/usr/bin/chromium``, installed by ``.ci/run``) headless through
Playwright; skips when either is missing. Each page is laid out at 1400x1000 and at phone
width (390x844) and checked for what a reader must see without scrolling sideways. With
``ARCHIVER_SCREENSHOTS=DIR`` the screenshots are kept in DIR (the README's come from here:
``ARCHIVER_SCREENSHOTS=docs/screenshots pytest tests/test_browser.py``).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from serve_helpers import build_reading_room, datasette

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WIDE = {"width": 1400, "height": 1000}
PHONE = {"width": 390, "height": 844}
SIZES = {"wide": WIDE, "phone": PHONE}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (/usr/bin/chromium)"),
]


@pytest.fixture(scope="module")
def room(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    """(base URL, a Playwright browser) on the reading-room archive (``archive.db``)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    tmp = tmp_path_factory.mktemp("browser")
    db = build_reading_room(tmp / "archive.db")
    with datasette(db, tmp) as base, sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            yield base, browser
        finally:
            browser.close()
    shutil.rmtree(tmp, ignore_errors=True)


def _page(browser: Any, size: str) -> Any:
    return browser.new_context(viewport=SIZES[size]).new_page()


def _shoot(page: Any, name: str, tmp_path: Path) -> Path:
    folder = Path(os.environ.get("ARCHIVER_SCREENSHOTS") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path))
    assert path.stat().st_size > 0
    return path


def _no_sideways_scroll(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"page is {width}px wide"


def _on_first_screen(page: Any, selector: str) -> None:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, f"{selector} is not shown"
    assert box["y"] + min(box["height"], 40) <= page.viewport_size["height"], selector


@pytest.mark.parametrize("size", ["wide", "phone"])
def test_landing_view_shows_stories_search_and_facets(
    room: tuple[str, Any], size: str, tmp_path: Path
) -> None:
    base, browser = room
    page = _page(browser, size)
    page.goto(base + "/archive/articles", timeout=30_000)
    assert page.locator("h1").first.inner_text().strip() == "Articles"
    _on_first_screen(page, 'input[name="_search"]')
    _on_first_screen(page, "table.ar-stories td.ar-headline a")
    if size == "wide":  # facets beside the stories; on a phone they fold above them
        for facet in ("source", "language", "agency", "published", "tags"):
            _on_first_screen(page, f'.ar-facet[data-column="{facet}"] li')
        headers = page.locator("table.ar-stories thead th").all_inner_texts()
        assert headers == ["Headline", "Source", "Dateline", "Published", "Lead", "Original"]
    else:
        _on_first_screen(page, ".ar-facet summary")
    first = page.locator("table.ar-stories td.ar-headline a").first.inner_text()
    assert first.startswith("Breaking")  # newest first: 5 May 2022
    assert "5 May 2022 05:05 UTC" in page.locator("table.ar-stories").inner_text()
    _no_sideways_scroll(page)
    _shoot(page, f"landing-{size}", tmp_path)
    page.context.close()


@pytest.mark.parametrize("size", ["wide", "phone"])
def test_search_box_ranks_and_highlights(room: tuple[str, Any], size: str, tmp_path: Path) -> None:
    base, browser = room
    page = _page(browser, size)
    page.goto(base + "/archive/articles", timeout=30_000)
    box = page.locator('input[name="_search"]')
    box.fill("satellite -launch")
    box.press("Enter")
    page.wait_for_url("**/-/search?q=satellite*", timeout=30_000)
    hits = page.locator(".ar-hit")
    hits.first.wait_for(timeout=30_000)
    assert hits.locator("h2").all_inner_texts() == ["Space agency plans new missions"]
    assert page.locator(".ar-hit mark").first.inner_text().lower() == "satellite"
    page.locator('input[name="q"]').fill("cooperation")
    page.locator('input[name="q"]').press("Enter")
    page.wait_for_url("**q=cooperation*", timeout=30_000)
    titles = page.locator(".ar-hit h2").all_inner_texts()
    assert len(titles) == 2 and "Grain harvest in the Volga region beats forecasts" in titles
    _on_first_screen(page, ".ar-hit mark")
    _no_sideways_scroll(page)
    _shoot(page, f"search-{size}", tmp_path)
    page.locator(".ar-hit h2 a", has_text="Grain harvest").click()
    page.wait_for_url("**/archive/articles/3", timeout=30_000)
    assert page.locator("h1").inner_text() == "Grain harvest in the Volga region beats forecasts"
    page.context.close()


@pytest.mark.parametrize("size", ["wide", "phone"])
def test_article_page_reads_like_the_article(
    room: tuple[str, Any], size: str, tmp_path: Path
) -> None:
    base, browser = room
    page = _page(browser, size)
    page.goto(base + "/archive/articles/1", timeout=30_000)
    heading = page.locator("h1")
    assert (
        heading.inner_text() == "Azerbaijan, Turkey discuss military-technical cooperation in Baku"
    )
    _on_first_screen(page, "h1")
    _on_first_screen(page, ".ar-standfirst")
    body = page.locator(".ar-body p")
    assert body.count() == 6
    assert body.first.inner_text().startswith("BAKU, January 30. /TASS/.")
    # the body reads as a column of text, not a squeezed table cell
    width = body.first.bounding_box()["width"]
    assert width >= min(500, page.viewport_size["width"] - 60)
    assert page.locator(".ar-versions > li").count() == 3
    assert page.locator(".ar-diff ins", has_text="more").count() == 1
    assert page.locator(".ar-cluster a").inner_text().startswith("Azerbaijan and Turkey")
    _no_sideways_scroll(page)
    _shoot(page, f"article-{size}", tmp_path)
    page.context.close()


@pytest.mark.parametrize("size", ["wide", "phone"])
def test_sources_page_shows_health(room: tuple[str, Any], size: str, tmp_path: Path) -> None:
    base, browser = room
    page = _page(browser, size)
    page.goto(base + "/-/sources", timeout=30_000)
    rows = page.locator("table.ar-health tbody tr")
    assert rows.count() == 4
    text = page.locator("table.ar-health").inner_text()
    for word in ("ok", "failing", "never polled", "blocked by robots", "timeout: no answer"):
        assert word in text
    _on_first_screen(page, "tr.ar-status-failing")
    _no_sideways_scroll(page)
    _shoot(page, f"sources-{size}", tmp_path)
    page.context.close()
