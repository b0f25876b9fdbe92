"""Sitemaps as the protocol allows them: text sitemaps, robots.txt Sitemap lines as a source,
and bodies cut short (plain or gzip) that never yield a cut URL."""

from __future__ import annotations

import gzip
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from archiver import errors
from archiver.cli import main
from archiver.listings import parse_listing
from archiver.store import Store

from sitefixture import serve_site

FIXTURES = Path(__file__).parent / "fixtures" / "listings"
SITE = Path(__file__).parent / "fixtures" / "site"
NEWS = "https://www.reuters.com/arc/outboundfeeds/news-sitemap/?outputType=xml"


def _news_sitemap(count: int) -> bytes:
    """A Reuters-style news sitemap of ``count`` stories (the fixture's first entry, varied)."""
    entries = "".join(
        f"""  <url>
    <loc>https://www.reuters.com/world/europe/story-number-{i}-2024-05-16/</loc>
    <lastmod>2024-05-16T06:45:12.345Z</lastmod>
    <news:news>
      <news:publication><news:name>Reuters</news:name><news:language>eng</news:language></news:publication>
      <news:publication_date>2024-05-16T06:10:00.000Z</news:publication_date>
      <news:title><![CDATA[Story number {i}]]></news:title>
    </news:news>
    <image:image><image:loc>https://www.reuters.com/resizer/{i}.jpg</image:loc></image:image>
  </url>
"""
        for i in range(count)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9" '
        'xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">\n'
        f"{entries}</urlset>\n"
    ).encode()


def _urls(body: bytes, url: str = NEWS) -> list[str]:
    try:
        listing = parse_listing("sitemap", body, url)
    except errors.ParseError:
        return []  # cut before any whole entry: refused, which yields no URL either
    return [link.url for link in listing.links]


def test_a_plain_sitemap_cut_anywhere_in_its_last_entries_yields_no_cut_url() -> None:
    whole = _news_sitemap(6)
    full = _urls(whole)
    assert len(full) == 6
    start = whole.index(b"story-number-4")  # every cut from inside entry 4 to the end
    for cut in range(start - 20, len(whole) - len(b"</urlset>\n")):
        got = _urls(whole[:cut])
        assert got == full[: len(got)], cut  # whole URLs only, in order
        assert len(got) >= 4, cut  # the entries before the cut are all kept


def test_a_plain_sitemap_cut_mid_url_drops_that_url() -> None:
    whole = _news_sitemap(3)
    cut = whole.index(b"story-number-2") + len(b"story-num")
    assert _urls(whole[:cut]) == [
        "https://www.reuters.com/world/europe/story-number-0-2024-05-16/",
        "https://www.reuters.com/world/europe/story-number-1-2024-05-16/",
    ]


def test_a_truncated_gzip_sitemap_yields_no_cut_url() -> None:
    whole = _news_sitemap(400)
    full = _urls(whole)
    packed = gzip.compress(whole)
    seen_counts = set()
    for cut in range(len(packed) // 3, len(packed) - 8, 97):
        got = _urls(packed[:cut], NEWS + ".gz")
        assert got == full[: len(got)], cut
        seen_counts.add(len(got))
    assert len(seen_counts) > 5 and max(seen_counts) < len(full)


def test_a_sitemap_cut_inside_its_first_entry_yields_nothing() -> None:
    whole = _news_sitemap(2)
    cut = whole.index(b"story-number-0") + 5
    assert _urls(whole[:cut]) == []


def test_a_whole_sitemap_with_a_comment_after_its_root_keeps_every_url() -> None:
    whole = _news_sitemap(3) + b"<!-- generated in 12 ms -->\n"
    assert len(_urls(whole)) == 3


def test_text_sitemap_gzip_whole_and_cut() -> None:
    lines = [f"https://www.upi.com/Top_News/2024/05/16/story-{i}/{i}715850000/" for i in range(300)]
    body = "\n".join(lines).encode()  # no newline after the last URL: still a whole line
    url = "https://www.upi.com/sitemap/latest.txt.gz"
    assert _urls(gzip.compress(body), url) == lines
    packed = gzip.compress(body)
    for cut in range(len(packed) // 2, len(packed) - 8, 41):
        got = _urls(packed[:cut], url)
        assert got == lines[: len(got)], cut
        assert 0 < len(got) < len(lines)


def test_text_sitemap_with_a_bom_and_crlf() -> None:
    body = "\ufeffhttps://www.upi.com/a/1\r\nhttps://www.upi.com/a/2\r\n".encode()
    assert _urls(body, "https://www.upi.com/sitemap.txt") == [
        "https://www.upi.com/a/1",
        "https://www.upi.com/a/2",
    ]


def test_robots_txt_without_sitemap_lines_is_a_parse_error() -> None:
    with pytest.raises(errors.ParseError, match="no sitemap"):
        parse_listing(
            "sitemap", b"User-agent: *\nDisallow: /x\n", "https://www.aa.com.tr/robots.txt"
        )


def test_robots_txt_sitemaps_pass_the_links_filter_untouched() -> None:
    body = (FIXTURES / "robots.txt").read_bytes()
    listing = parse_listing(
        "sitemap", body, "https://www.aa.com.tr/robots.txt", links=re.compile("/en/")
    )
    assert len(listing.sitemaps) == 3  # the filter is for article links, not child sitemaps


def test_a_robots_txt_source_archives_what_its_sitemaps_list(tmp_path: Path) -> None:
    """kind = "sitemap" with url = /robots.txt: its Sitemap lines (an XML news sitemap and
    a text sitemap) are read as child sitemaps and their stories archived."""
    root = tmp_path / "site"
    shutil.copytree(SITE, root)
    (root / "robots.txt").write_text(
        "User-agent: *\nDisallow: /private/\n\n"
        "Sitemap: {base}/arc/outboundfeeds/news-sitemap/\n"
        "Sitemap: {base}/sitemaps/latest.txt\n",
        encoding="utf-8",
    )
    (root / "sitemaps").mkdir()
    (root / "sitemaps" / "latest.txt").write_text(
        "{base}/economy/1788342\n{base}/science/1788301\n", encoding="utf-8"
    )
    with serve_site(root) as site:
        config = tmp_path / "config.toml"
        config.write_text(
            f"""
[archive]
path = "var/archive.db"
captures = "var/captures"

[http]
allow_private = true     # the test server is on 127.0.0.1
delay = 0
timeout = 10

[[sources]]
name = "agency"
kind = "sitemap"
url = "{site.url("/robots.txt")}"
every = "10m"
""",
            encoding="utf-8",
        )
        result = CliRunner().invoke(main, ["poll", "--config", str(config)])
        assert result.exit_code == 0, result.output
        assert site.requests["/sitemaps/latest.txt"] == 1
    with Store(tmp_path / "var" / "archive.db") as store:
        urls = {r[0] for r in store.conn.execute("SELECT url FROM articles")}
    assert urls == {
        site.url("/economy/1788342"),
        site.url("/science/1788301"),
        site.url("/world/africa/kenya-tea-prices-climb-at-weekly-auction-2024-05-16/"),
        site.url("/world/europe/dutch-windmill-owners-struggle-to-find-apprentices-2024-05-16/"),
        site.url("/business/energy/norway-opens-bidding-for-offshore-wind-area-2024-05-16/"),
    }
