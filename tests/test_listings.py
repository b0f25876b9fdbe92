"""Listings: feeds, sitemaps and section pages -> Listing, from fixtures with JSON expectations.

Each ``tests/fixtures/listings/*.json`` names its fixture file, the listing kind and URL, and
either the exact expected result, a best-effort lower bound (``links_include``/``max_links``),
or the error class expected.
"""

from __future__ import annotations

import gzip
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from archiver import errors
from archiver.listings import parse_listing
from archiver.models import Link, Listing

FIXTURES = Path(__file__).parent / "fixtures" / "listings"
CASES = sorted(FIXTURES.glob("*.json"))


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _as_dict(link: Link) -> dict[str, Any]:
    return {
        "url": link.url,
        "guid": link.guid,
        "title": link.title,
        "published": _iso(link.published),
        "updated": _iso(link.updated),
    }


def _run(case: dict[str, Any]) -> Listing:
    regex = case.get("links_regex")
    return parse_listing(
        case["kind"],
        (FIXTURES / case["fixture"]).read_bytes(),
        case["url"],
        links=re.compile(regex) if regex else None,
        charset=case.get("charset"),
    )


@pytest.mark.parametrize("case_file", CASES, ids=[c.stem for c in CASES])
def test_fixture(case_file: Path) -> None:
    case = json.loads(case_file.read_text(encoding="utf-8"))
    if case.get("error"):
        expected = getattr(errors, case["error"])
        with pytest.raises(expected) as caught:
            _run(case)
        assert "\n" not in str(caught.value)
        return
    listing = _run(case)
    for link in listing.links:
        for value in (link.published, link.updated):
            assert value is None or value.utcoffset() == timedelta(0)
        assert link.url.startswith(("http://", "https://")) and "#" not in link.url
    if "links" in case:
        assert [_as_dict(link) for link in listing.links] == case["links"]
    else:
        urls = [link.url for link in listing.links]
        assert set(case["links_include"]) <= set(urls)
        assert len(urls) <= case["max_links"]
    if "title" in case:
        assert listing.title == case["title"]
    if "ttl_seconds" in case:
        ttl = listing.ttl.total_seconds() if listing.ttl is not None else None
        assert ttl == case["ttl_seconds"]
    if "sitemaps" in case:
        assert list(listing.sitemaps) == case["sitemaps"]


def test_every_good_fixture_has_an_expectation() -> None:
    named = {json.loads(c.read_text())["fixture"] for c in CASES}
    present = {p.name for p in FIXTURES.iterdir() if p.is_file() and p.suffix != ".json"}
    assert present <= named


def test_links_regex_filters_feeds_and_sitemaps() -> None:
    feed = (FIXTURES / "tass-rss2.xml").read_bytes()
    listing = parse_listing(
        "feed", feed, "https://tass.com/rss/v2.xml", links=re.compile(r"/economy/")
    )
    assert [link.url for link in listing.links] == ["https://tass.com/economy/1788391"]
    assert listing.title == "TASS"  # the rest of the listing is kept
    sitemap = (FIXTURES / "reuters-news-sitemap.xml").read_bytes()
    listing = parse_listing(
        "sitemap", sitemap, "https://www.reuters.com/", links=re.compile("/markets/")
    )
    assert [link.url for link in listing.links] == [
        "https://www.reuters.com/markets/asia/nikkei-hits-record-2024-05-16/"
    ]


def test_page_without_links_regex_is_a_parse_error() -> None:
    page = (FIXTURES / "ap-hub.html").read_bytes()
    with pytest.raises(errors.ParseError, match="links regex"):
        parse_listing("page", page, "https://apnews.com/hub/world-news")


def test_unknown_kind_is_a_parse_error() -> None:
    with pytest.raises(errors.ParseError, match="unknown listing kind"):
        parse_listing("podcast", b"<rss/>", "https://example.com/")


def test_gzip_sitemap_over_the_cap_is_refused() -> None:
    plain = (FIXTURES / "sitemap-plain.xml").read_bytes()
    body = gzip.compress(plain)
    with pytest.raises(errors.TooLarge):
        parse_listing("sitemap", body, "https://www.upi.com/s.xml.gz", max_bytes=len(plain) - 1)
    listing = parse_listing("sitemap", body, "https://www.upi.com/s.xml.gz", max_bytes=len(plain))
    assert len(listing.links) == 3


def test_gzip_bomb_stops_at_the_cap() -> None:
    bomb = gzip.compress(b"<urlset>" + b" " * (64 * 1024 * 1024))  # 64 MiB of blanks, ~64 KB
    assert len(bomb) < 1024 * 1024
    with pytest.raises(errors.TooLarge, match="more than 1048576 bytes"):
        parse_listing("sitemap", bomb, "https://example.com/bomb.xml.gz", max_bytes=1024 * 1024)


def test_corrupt_gzip_is_a_parse_error() -> None:
    body = gzip.compress((FIXTURES / "sitemap-plain.xml").read_bytes())
    broken = body[:10] + bytes(b ^ 0xFF for b in body[10:40]) + body[40:]
    with pytest.raises(errors.ParseError):
        parse_listing("sitemap", broken, "https://www.upi.com/s.xml.gz")


def test_truncated_gzip_gives_what_it_holds() -> None:
    urls = "".join(f"<url><loc>https://example.com/a/{i}</loc></url>" for i in range(2000))
    body = gzip.compress(
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'.encode()
    )
    listing = parse_listing("sitemap", body[: len(body) // 2], "https://example.com/s.xml.gz")
    assert 0 < len(listing.links) < 2000
    assert listing.links[0].url == "https://example.com/a/0"


@pytest.mark.slow
def test_large_sitemap_keeps_every_url_in_order() -> None:
    count = 20_000
    urls = "".join(
        f"<url><loc>https://example.com/story/{i}</loc><lastmod>2024-05-16</lastmod></url>"
        for i in range(count)
    )
    doc = f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
    listing = parse_listing("sitemap", doc.encode(), "https://example.com/sitemap.xml")
    assert len(listing.links) == count
    assert listing.links[-1].url == f"https://example.com/story/{count - 1}"
    assert listing.links[0].updated == datetime(2024, 5, 16, tzinfo=UTC)


def test_feed_in_windows_1251_named_by_http_charset() -> None:
    title = "Москва: открыта новая станция метро"
    doc = (
        '<rss version="2.0"><channel><title>ТАСС</title><item>'
        f"<title>{title}</title><link>https://tass.ru/moskva/1</link></item></channel></rss>"
    ).encode("windows-1251")
    listing = parse_listing("feed", doc, "https://tass.ru/rss/v2.xml", charset="windows-1251")
    assert listing.title == "ТАСС"
    assert listing.links[0].title == title


def test_utf16_feed_with_bom_parses() -> None:
    doc = (FIXTURES / "tass-rss2.xml").read_text(encoding="utf-8").replace("UTF-8", "UTF-16")
    listing = parse_listing("feed", doc.encode("utf-16"), "https://tass.com/rss/v2.xml")
    assert [link.url for link in listing.links][:2] == [
        "https://tass.com/politics/1788400",
        "https://tass.com/economy/1788391",
    ]


def test_section_page_in_windows_1251() -> None:
    page = (
        '<html><head><meta charset="windows-1251"><title>Новости</title></head><body>'
        '<a href="/moskva/123">Новая станция</a><a href="/about">О нас</a></body></html>'
    ).encode("windows-1251")
    listing = parse_listing("page", page, "https://tass.ru/", links=re.compile(r"/moskva/\d+$"))
    assert listing.title == "Новости"
    assert listing.links == (Link(url="https://tass.ru/moskva/123", title="Новая станция"),)


def test_sitemap_root_that_is_not_a_sitemap() -> None:
    with pytest.raises(errors.ParseError, match="not a sitemap"):
        parse_listing("sitemap", b"<rss version='2.0'><channel/></rss>", "https://x.org/s.xml")


def test_empty_feed_is_an_empty_listing() -> None:
    doc = b'<rss version="2.0"><channel><title>Quiet</title><ttl>60</ttl></channel></rss>'
    listing = parse_listing("feed", doc, "https://example.com/rss")
    assert listing == Listing(links=(), ttl=timedelta(hours=1), title="Quiet")


def test_feedburner_links_resolve_before_the_links_filter() -> None:
    feed = (FIXTURES / "feedburner-origlink.xml").read_bytes()
    listing = parse_listing(
        "feed",
        feed,
        "https://feeds.feedburner.com/upi/top",
        links=re.compile(r"^https://www\.upi\.com/(?:Top|Science)_News/"),
    )
    assert [link.url for link in listing.links] == [
        "https://www.upi.com/Top_News/US/2024/05/16/lighthouse-restored/1231715850000/",
        "https://www.upi.com/Science_News/2024/05/15/comet-visible/4561715750000/",
    ]


def test_permalink_guid_with_entities_and_cdata() -> None:
    doc = b"""<rss version="2.0"><channel><title>T</title>
    <item><link>https://feedproxy.google.com/~r/x/~3/1/</link>
    <guid isPermaLink='true'>https://www.example.org/story?id=1&amp;lang=en</guid></item>
    <item><link>https://feedproxy.google.com/~r/x/~3/2/</link>
    <guid isPermaLink="TRUE"><![CDATA[https://www.example.org/story?id=2&lang=en]]></guid></item>
    </channel></rss>"""
    listing = parse_listing("feed", doc, "https://feeds.feedburner.com/x")
    assert [link.url for link in listing.links] == [
        "https://www.example.org/story?id=1&lang=en",
        "https://www.example.org/story?id=2&lang=en",
    ]
