"""Every page in tests/fixtures/pages/ against the expectations in the JSON beside it."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from archiver.extract import extract
from archiver.models import Article

PAGES = Path(__file__).parent / "fixtures" / "pages"
FIXTURES = sorted(PAGES.glob("*.html"))
SEED = Path(__file__).resolve().parents[2] / "shared" / "seed" / "tass-article.txt"


def load(page: Path) -> tuple[Article, dict[str, Any]]:
    expected = json.loads(page.with_suffix(".json").read_text(encoding="utf-8"))
    return extract(page.read_bytes(), expected["url"]), expected


@pytest.mark.parametrize("page", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_fixture_page(page: Path) -> None:
    article, expected = load(page)
    for key, want in expected.items():
        if key == "url":
            assert article.url == want
        elif key == "body_without":
            for snippet in want:
                assert snippet not in article.body, snippet
        elif key == "dateline":
            got = article.dateline
            if want is None:
                assert got is None
            else:
                assert got is not None
                assert (got.text, got.place, got.date, got.agency) == (
                    want["text"],
                    want["place"],
                    want["date"],
                    want["agency"],
                )
        elif key in ("published", "updated"):
            got_dt = getattr(article, key)
            assert got_dt is not None and got_dt.tzinfo is not None
            want_dt = datetime.fromisoformat(want)
            assert got_dt == want_dt
            assert got_dt.utcoffset() == want_dt.utcoffset()  # shown in the site's zone
        elif key in ("authors", "tags"):
            assert list(getattr(article, key)) == want, key
        else:
            assert getattr(article, key) == want, key


def test_every_fixture_has_expectations() -> None:
    assert FIXTURES, "no fixture pages"
    for page in FIXTURES:
        assert page.with_suffix(".json").exists(), page.name


def test_tass_seed_fields_exactly() -> None:
    article, _ = load(PAGES / "tass-com-seed.html")
    assert article.title == "Azerbaijan, Turkey discuss military-technical cooperation"
    assert article.lead is not None and article.lead.startswith("Azerbaijani Defense Minister")
    assert article.body.startswith("BAKU, January 30. /TASS/. Azerbaijani Defense Minister")
    assert "<…>" in article.body
    assert "All news" not in article.body and article.title != "All news"
    assert article.dateline is not None
    assert (article.dateline.place, article.dateline.date, article.dateline.agency) == (
        "BAKU",
        "January 30",
        "TASS",
    )
    assert article.published is not None
    assert article.published.isoformat().startswith("2021-01-30T")
    assert article.published.utcoffset() == timedelta(hours=3)  # Moscow time


@pytest.mark.skipif(not SEED.exists(), reason="../shared/seed is absent")
def test_tass_seed_matches_the_seed_file() -> None:
    article, _ = load(PAGES / "tass-com-seed.html")
    blocks = SEED.read_text(encoding="utf-8").strip().split("\n\n")
    assert blocks[0] == "All news"  # the breadcrumb a naive scrape glued on
    assert article.title == blocks[1]
    assert article.lead == blocks[2]
    assert article.body == "\n\n".join(blocks[3:])
