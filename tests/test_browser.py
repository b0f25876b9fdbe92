"""The archive in a real browser: Datasette's articles page, its search box, the matching story.

Drives Debian's chromium (``/usr/bin/chromium``, installed by ``.ci/run``) headless through
Playwright; skips when either is missing.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from search_helpers import build_archive
from serve_helpers import datasette

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

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium (/usr/bin/chromium)"),
]


def test_search_box_finds_the_story(tmp_path: Path) -> None:
    sync_api = pytest.importorskip("playwright.sync_api")
    db = build_archive(tmp_path / "archive.db")
    profile = tmp_path / "profile"
    with datasette(db, tmp_path) as base, sync_api.sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(CHROMIUM),
            headless=True,
            args=ARGS,
        )
        try:
            page = context.new_page()
            page.goto(base + "/archive/articles", timeout=30_000)
            assert page.locator("h1").first.inner_text().strip() == "Articles"
            assert "Grain harvest" in page.locator("table.rows-and-columns").inner_text()
            box = page.locator('input[name="_search"]')
            box.fill("satellite -launch")
            box.press("Enter")
            page.wait_for_url("**_search=satellite*", timeout=30_000)
            table = page.locator("table.rows-and-columns")
            table.wait_for(timeout=30_000)
            text = table.inner_text()
            assert "Space agency plans new missions" in text
            assert "Satellite launch postponed" not in text  # excluded by -launch
            assert "Grain harvest" not in text
        finally:
            context.close()
    shutil.rmtree(profile, ignore_errors=True)
