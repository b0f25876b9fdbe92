"""Feed and sitemap dates: zones as the agencies write them, read the way their writers mean.

dateutil alone reads ``GMT+9`` as nine hours west of UTC and ``ET``/``PT``/``MET``/``MEST``
as UTC; feedparser's handlers (behind ``archiver.listings.dates``) do not.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from archiver.listings import parse_listing
from archiver.listings.dates import feed_date, numeric_zone, w3c_date

FEED_DATES = [
    ("Thu, 16 May 2024 18:30:00 GMT+9", datetime(2024, 5, 16, 9, 30, tzinfo=UTC)),
    ("Thu, 16 May 2024 18:30:00 GMT+09:00", datetime(2024, 5, 16, 9, 30, tzinfo=UTC)),
    ("Thu, 16 May 2024 18:30:00 GMT+0900", datetime(2024, 5, 16, 9, 30, tzinfo=UTC)),
    ("2024-05-16 18:30:00 GMT+9", datetime(2024, 5, 16, 9, 30, tzinfo=UTC)),
    ("Thu, 16 May 2024 10:00:00 GMT-01:01", datetime(2024, 5, 16, 11, 1, tzinfo=UTC)),
    ("Thu, 16 May 2024 10:00:00 UTC+3", datetime(2024, 5, 16, 7, 0, tzinfo=UTC)),
    ("Thu, 16 May 2024 10:00:00 UTC +5:30", datetime(2024, 5, 16, 4, 30, tzinfo=UTC)),
    ("Thu, 16 May 2024 10:00:00 ET", datetime(2024, 5, 16, 15, 0, tzinfo=UTC)),
    ("Thu, 16 May 2024 10:00:00 CT", datetime(2024, 5, 16, 16, 0, tzinfo=UTC)),
    ("Thu, 16 May 2024 10:00:00 PT", datetime(2024, 5, 16, 18, 0, tzinfo=UTC)),
    ("Thu, 16 May 2024 10:00:00 MET", datetime(2024, 5, 16, 9, 0, tzinfo=UTC)),
    ("Thu, 16 May 2024 10:00:00 MEST", datetime(2024, 5, 16, 8, 0, tzinfo=UTC)),
    ("Thu, 16 May 2024 10:00:00 EDT", datetime(2024, 5, 16, 14, 0, tzinfo=UTC)),
    ("Thu, 16 May 2024 10:00:00 MSK", datetime(2024, 5, 16, 7, 0, tzinfo=UTC)),
    ("Thu, 16 May 2024 10:00:00 KST", datetime(2024, 5, 16, 1, 0, tzinfo=UTC)),
    ("Thu, 16 May 2024 10:00:00 JST", datetime(2024, 5, 16, 1, 0, tzinfo=UTC)),
    ("Thu, 16 May 2024 10:00:00 CEST", datetime(2024, 5, 16, 8, 0, tzinfo=UTC)),
    ("Thu, 16 May 2024 10:00:00 +0545", datetime(2024, 5, 16, 4, 15, tzinfo=UTC)),
    ("Thu, 16 May 2024 10:00:00 GMT", datetime(2024, 5, 16, 10, 0, tzinfo=UTC)),
    ("Thu, 16 May 2024 10:00:00 XYZ", datetime(2024, 5, 16, 10, 0, tzinfo=UTC)),
    ("Thu, 16 May 2024 10:00:00", datetime(2024, 5, 16, 10, 0, tzinfo=UTC)),
    ("16 May 2024 10:00 ET", datetime(2024, 5, 16, 15, 0, tzinfo=UTC)),
    ("May 16, 2024 10:00 AM ET", datetime(2024, 5, 16, 15, 0, tzinfo=UTC)),
    ("16.05.2024 10:00 MSK", datetime(2024, 5, 16, 7, 0, tzinfo=UTC)),
    ("2024-05-16T10:00:00+09:00", datetime(2024, 5, 16, 1, 0, tzinfo=UTC)),
    ("2024-05-16T10:00:00Z", datetime(2024, 5, 16, 10, 0, tzinfo=UTC)),
    ("yesterday-ish, around noon", None),
    ("", None),
    (None, None),
]


@pytest.mark.parametrize(("text", "want"), FEED_DATES, ids=[str(t) for t, _ in FEED_DATES])
def test_feed_date(text: str | None, want: datetime | None) -> None:
    got = feed_date(text)
    assert got == want
    if got is not None:
        assert got.utcoffset() == timedelta(0)


W3C_DATES = [
    ("2024-05-16T10:00:00+09:00", datetime(2024, 5, 16, 1, 0, tzinfo=UTC)),
    ("2024-05-16T10:00:00-01:01", datetime(2024, 5, 16, 11, 1, tzinfo=UTC)),
    ("2024-05-16T10:00+05:30", datetime(2024, 5, 16, 4, 30, tzinfo=UTC)),
    ("2024-05-16", datetime(2024, 5, 16, tzinfo=UTC)),
    ("2024-05-16T10:00:00.123Z", datetime(2024, 5, 16, 10, 0, 0, 123000, tzinfo=UTC)),
    # not W3C, but written in lastmod by some sites: read like a feed date, sign kept
    ("Thu, 16 May 2024 10:00:00 GMT+9", datetime(2024, 5, 16, 1, 0, tzinfo=UTC)),
    ("2024-05-16 10:00:00 GMT-01:01", datetime(2024, 5, 16, 11, 1, tzinfo=UTC)),
    ("not a date", None),
]


@pytest.mark.parametrize(("text", "want"), W3C_DATES, ids=[t for t, _ in W3C_DATES])
def test_w3c_date(text: str, want: datetime | None) -> None:
    assert w3c_date(text) == want


def test_numeric_zone_rewrites_only_zones() -> None:
    assert numeric_zone("Thu, 16 May 2024 10:00:00 GMT+9") == "Thu, 16 May 2024 10:00:00 +0900"
    assert numeric_zone("Thu, 16 May 2024 10:00:00 MSK") == "Thu, 16 May 2024 10:00:00 +0300"
    assert numeric_zone("Thu, 16 May 2024 10:00:00 EST") == "Thu, 16 May 2024 10:00:00 -0500"
    assert numeric_zone("Thu, 16 May 2024 10:00:00 PM") == "Thu, 16 May 2024 10:00:00 PM"
    assert numeric_zone("GMT+99 is no zone") == "GMT+99 is no zone"


def test_a_whole_gmt_plus_9_feed_is_on_time() -> None:
    """Every entry of a Korea Times-style feed in UTC nine hours before its local time."""
    feed = (
        b"""<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>
    <title>Nation</title><link>https://www.koreatimes.co.kr/nation</link>"""
        + b"".join(
            b"<item><title>Story %d</title>"
            b"<link>https://www.koreatimes.co.kr/www/nation/2024/05/113_%d.html</link>"
            b"<pubDate>Thu, 16 May 2024 %02d:10:00 GMT+9</pubDate></item>" % (h, h, h)
            for h in range(24)
        )
        + b"</channel></rss>"
    )
    listing = parse_listing("feed", feed, "https://www.koreatimes.co.kr/www/rss/nation.xml")
    assert len(listing.links) == 24
    for hour, link in enumerate(listing.links):
        local = datetime(2024, 5, 16, hour, 10, tzinfo=UTC)
        assert link.published == local - timedelta(hours=9), link.url


def test_sitemap_dates_keep_their_sign() -> None:
    doc = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>https://en.yna.co.kr/view/AEN20240516000100315</loc>
<lastmod>2024-05-16T18:30:00+09:00</lastmod>
<news:news><news:publication><news:name>Yonhap</news:name><news:language>en</news:language>
</news:publication><news:publication_date>2024-05-16T18:00:00+09:00</news:publication_date>
<news:title>Story one</news:title></news:news></url>
<url><loc>https://news.example.org/west</loc><lastmod>2024-05-16T10:00:00-01:01</lastmod></url>
</urlset>"""
    listing = parse_listing("sitemap", doc, "https://en.yna.co.kr/sitemap/news.xml")
    first, second = listing.links
    assert first.published == datetime(2024, 5, 16, 9, 0, tzinfo=UTC)
    assert first.updated == datetime(2024, 5, 16, 9, 30, tzinfo=UTC)
    assert second.updated == datetime(2024, 5, 16, 11, 1, tzinfo=UTC)
