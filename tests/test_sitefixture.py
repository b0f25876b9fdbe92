"""The fixture web server (tests/sitefixture.py) and the coherence of tests/fixtures/site."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import lxml.html
import pytest

from archiver.listings import parse_listing

from sitefixture import Site, serve_site

SITE = Path(__file__).parent / "fixtures" / "site"
FEED = "/rss/v2.xml"
SITEMAP = "/arc/outboundfeeds/news-sitemap/?outputType=xml"
HUB = "/hub/world-news"
AP_LINKS = re.compile(r"/article/[a-z0-9-]+-[0-9a-f]{32}$")


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    with serve_site(SITE) as running:
        yield running


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5) as http:
        yield http


def _readme_articles() -> list[tuple[str, str, str]]:
    """(path, distinctive word, title) rows of the README's article table."""
    rows = re.findall(
        r"^\| `(/[^`]+)` \| (\w+) \| (.+?) \|$",
        (SITE / "README.md").read_text(encoding="utf-8"),
        flags=re.MULTILINE,
    )
    return [(path, word, title) for path, word, title in rows if not path.startswith("/rss")]


def test_serves_on_loopback_with_base_substituted(site: Site, client: httpx.Client) -> None:
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", site.base_url)
    response = client.get(site.url(FEED))
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/xml"
    assert b"{base}" not in response.content
    assert f"<link>{site.base_url}/economy/1788342</link>" in response.text


def test_path_mapping_and_content_types(site: Site, client: httpx.Client) -> None:
    page = client.get(site.url("/economy/1788342"))
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert f'<link rel="canonical" href="{site.base_url}/economy/1788342">' in page.text
    sitemap = client.get(site.url(SITEMAP))
    assert sitemap.status_code == 200 and "<urlset" in sitemap.text
    slash = client.get(
        site.url("/world/africa/kenya-tea-prices-climb-at-weekly-auction-2024-05-16/")
    )
    assert slash.status_code == 200 and "NAIROBI, May 16 (Reuters)" in slash.text
    for missing in ("/economy/0", "/rss/", "/nothing/here/"):
        assert client.get(site.url(missing)).status_code == 404
    assert (SITE.parent / "listings" / "atom.xml").is_file()
    assert site.resolve("/../listings/atom.xml") is None  # nothing outside the root


def test_conditional_get_and_request_counts(site: Site, client: httpx.Client) -> None:
    path = "/science/1788301"
    before = site.requests[path]
    first = client.get(site.url(path))
    etag, last_modified = first.headers["etag"], first.headers["last-modified"]
    assert client.get(site.url(path), headers={"If-None-Match": etag}).status_code == 304
    again = client.get(site.url(path), headers={"If-Modified-Since": last_modified})
    assert again.status_code == 304 and again.content == b""
    stale = client.get(site.url(path), headers={"If-None-Match": '"other"'})
    assert stale.status_code == 200
    assert site.requests[path] == before + 4
    assert client.head(site.url(path)).status_code == 200
    assert site.requests[path] == before + 5


def test_put_and_delete_change_what_is_served(client: httpx.Client) -> None:
    with serve_site(SITE) as site:
        path = "/economy/1788342"
        first = client.get(site.url(path))
        site.put(path, b"<html><body><p>Revised text {base}/x</p></body></html>")
        conditional = {
            "If-None-Match": first.headers["etag"],
        }
        changed = client.get(site.url(path), headers=conditional)
        assert changed.status_code == 200
        assert changed.text == f"<html><body><p>Revised text {site.base_url}/x</p></body></html>"
        assert changed.headers["etag"] != first.headers["etag"]
        since = {"If-Modified-Since": first.headers["last-modified"]}
        assert client.get(site.url(path), headers=since).status_code == 200
        site.put("/new/feed.rss", b"<rss version='2.0'/>")
        created = client.get(site.url("/new/feed.rss"))
        assert created.headers["content-type"] == "application/rss+xml"
        site.delete(path)
        assert client.get(site.url(path)).status_code == 404
        assert [status for _, p, status in site.log if p == path] == [200, 200, 200, 404]


def test_the_three_listings_name_nine_distinct_articles(site: Site, client: httpx.Client) -> None:
    found: list[str] = []
    for kind, path, links in (
        ("feed", FEED, None),
        ("sitemap", SITEMAP, None),
        ("page", HUB, AP_LINKS),
    ):
        response = client.get(site.url(path))
        listing = parse_listing(kind, response.content, site.url(path), links=links)
        assert len(listing.links) == 3, path
        found += [link.url for link in listing.links]
    expected = {site.url(path) for path, _word, _title in _readme_articles()}
    assert len(expected) == 9
    assert set(found) == expected and len(found) == 9
    for url in found:
        page = client.get(url)
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")


def test_each_distinctive_word_is_in_one_body_only() -> None:
    rows = _readme_articles()
    assert len(rows) == 9
    texts = {
        p: p.read_text(encoding="utf-8").lower()
        for p in SITE.rglob("*")
        if p.suffix in (".html", ".xml")
    }
    for path, word, title in rows:
        name = path.strip("/") + ("/index.html" if path.endswith("/") else ".html")
        file = SITE / name
        holders = [p for p, text in texts.items() if re.search(rf"\b{word.lower()}\b", text)]
        assert holders == [file], word
        doc = lxml.html.fromstring(file.read_bytes())
        body = " ".join(p.text_content() for p in doc.iter("p"))
        heading = doc.find(".//h1")
        assert heading is not None and heading.text_content().strip() == title
        assert word in body and word.lower() not in title.lower()
        assert len(file.read_bytes()) < 8000  # a few KB each
