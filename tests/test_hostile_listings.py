"""Issue 16, listings: byte-level limits bound every listing parse, whatever the input."""

from __future__ import annotations

import gzip
import re

import pytest

from archiver.errors import ParseError
from archiver.listings import parse_feed, parse_page, parse_sitemap
from archiver.listings.limits import MAX_ATTRIBUTES, MAX_FEED_ITEMS, MAX_SITEMAP_URLS, first_items

URL = "http://127.0.0.1/listing"
LINKS = re.compile(r"/a/\d+$")


def _attrs(n: int, value: bytes = b"x") -> bytes:
    return b" ".join(b'a%d="%s"' % (i, value) for i in range(n))


def _rss(items: int, root_attrs: bytes = b"") -> bytes:
    body = b"".join(
        b"<item><title>t%d</title><link>http://127.0.0.1/a/%d</link></item>" % (i, i)
        for i in range(items)
    )
    return (
        b'<?xml version="1.0"?><rss version="2.0" '
        + root_attrs
        + b"><channel><title>c</title>"
        + body
        + b"</channel></rss>"
    )


def test_a_feed_root_with_100000_attributes_is_refused_before_parsing() -> None:
    with pytest.raises(ParseError, match="more than 1000 attributes"):
        parse_feed(_rss(3, _attrs(100_000)), URL)


def test_attribute_values_holding_angle_brackets_do_not_hide_the_count() -> None:
    page = b"<html><body><div " + _attrs(5_000, b">") + b">x</div></body></html>"
    with pytest.raises(ParseError, match="attributes"):
        parse_page(page, URL, links=LINKS)


def test_attributes_without_values_count_too() -> None:
    bare = b" ".join(b"a%d" % i for i in range(5_000))
    with pytest.raises(ParseError, match="attributes"):
        parse_page(b"<html><body><div " + bare + b">x</div></body></html>", URL, links=LINKS)


def test_a_sitemap_tag_with_too_many_attributes_is_refused() -> None:
    sitemap = (
        b"<urlset " + _attrs(MAX_ATTRIBUTES + 1) + b"><url><loc>http://a/1</loc></url></urlset>"
    )
    with pytest.raises(ParseError, match="attributes"):
        parse_sitemap(sitemap, URL)


def test_a_tag_with_many_but_allowed_attributes_still_parses() -> None:
    page = (
        b"<html><body><div "
        + _attrs(MAX_ATTRIBUTES)
        + b'><a href="/a/1">one</a></div></body></html>'
    )
    assert [link.url for link in parse_page(page, URL, links=LINKS).links] == [
        "http://127.0.0.1/a/1"
    ]


def test_a_feed_keeps_its_first_items_and_still_closes() -> None:
    listing = parse_feed(_rss(MAX_FEED_ITEMS + 500), URL)
    assert len(listing.links) == MAX_FEED_ITEMS
    assert listing.links[0].url == "http://127.0.0.1/a/0"
    assert listing.links[-1].url == f"http://127.0.0.1/a/{MAX_FEED_ITEMS - 1}"
    assert listing.title == "c"


def test_first_items_works_for_prefixed_atom_entries() -> None:
    doc = b"<a:feed>" + b"<a:entry>x</a:entry>" * 5 + b"<tail/></a:feed>"
    assert (
        first_items(doc, 2) == b"<a:feed><a:entry>x</a:entry><a:entry>x</a:entry><tail/></a:feed>"
    )
    assert first_items(doc, 5) == doc


def test_a_sitemap_stops_at_the_protocol_limit_of_50000_urls() -> None:
    entries = b"".join(
        b"<url><loc>http://127.0.0.1/a/%d</loc></url>" % i for i in range(MAX_SITEMAP_URLS + 10)
    )
    listing = parse_sitemap(b"<urlset>" + entries + b"</urlset>", URL)
    assert len(listing.links) == MAX_SITEMAP_URLS
    assert listing.links[-1].url == f"http://127.0.0.1/a/{MAX_SITEMAP_URLS - 1}"


def test_a_two_member_gzip_sitemap_is_read_whole() -> None:
    half = b"<urlset><url><loc>http://127.0.0.1/a/1</loc></url>"
    body = gzip.compress(half) + gzip.compress(
        b"<url><loc>http://127.0.0.1/a/2</loc></url></urlset>"
    )
    listing = parse_sitemap(body, URL, max_bytes=10_000)
    assert [link.url for link in listing.links] == ["http://127.0.0.1/a/1", "http://127.0.0.1/a/2"]
