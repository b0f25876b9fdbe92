"""parse_listing(): a listing's bytes -> Listing, by kind (feed, sitemap, page)."""

from __future__ import annotations

import re

from archiver.errors import ParseError
from archiver.listings.feeds import parse_feed
from archiver.listings.pages import parse_page
from archiver.listings.sitemaps import parse_sitemap
from archiver.models import KINDS, Listing


def parse_listing(
    kind: str,
    content: bytes,
    url: str,
    *,
    links: re.Pattern[str] | None = None,
    charset: str | None = None,
    max_bytes: int | None = None,
) -> Listing:
    """Parse a listing of ``kind`` ("feed", "sitemap" or "page") fetched from ``url``.

    ``links`` keeps only links whose absolute URL it matches (``re.search``); it is required
    for a page and optional for feeds and sitemaps. ``charset`` is the HTTP charset, if any.
    ``max_bytes`` caps the decoded size of a gzip sitemap (default 100 MiB).
    """
    if kind == "feed":
        listing = parse_feed(content, url, charset=charset)
    elif kind == "sitemap":
        listing = parse_sitemap(content, url, max_bytes=max_bytes)
    elif kind == "page":
        if links is None:
            raise ParseError(f"a page source needs a links regex: {url}")
        listing = parse_page(content, url, links=links, charset=charset)
    else:
        raise ParseError(f"unknown listing kind {kind!r} (expected one of {', '.join(KINDS)})")
    if links is not None and kind != "page":
        kept = tuple(link for link in listing.links if links.search(link.url))
        listing = Listing(kept, listing.sitemaps, listing.ttl, listing.title)
    return listing
