"""Listings: RSS/Atom feeds, sitemaps (plain, Google News, indexes, gzip) and HTML section
pages, parsed into a ``Listing`` of ``Link``s. Pure functions: bytes and a URL in, no I/O.

Every XML document passes the entity gate (``archiver.xmlsafe.check_xml``) before feedparser
or lxml sees it. Every date comes out timezone-aware, in UTC (a date without a zone is taken
as UTC). A document with nothing usable raises ``ParseError``; a damaged one that still gives
entries gives them (best effort).
"""

from __future__ import annotations

import contextlib
import re
import time
import warnings
import zlib
from collections import Counter
from datetime import UTC, datetime, timedelta
from io import BytesIO
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

import feedparser
import lxml.html
from bs4.dammit import UnicodeDammit
from dateutil import parser as dateparser
from lxml import etree

from archiver.config import KINDS
from archiver.errors import ParseError, TooLarge
from archiver.models import Link, Listing
from archiver.timeutil import ZONE_OFFSETS
from archiver.xmlsafe import ascii_safe_encoding, check_xml

DEFAULT_MAX_SITEMAP_BYTES = 100 * 1024 * 1024  # decoded size cap for gzip sitemaps
_SY_PERIODS = {
    "hourly": timedelta(hours=1),
    "daily": timedelta(days=1),
    "weekly": timedelta(weeks=1),
    "monthly": timedelta(days=30),
    "yearly": timedelta(days=365),
}
_GZIP_MAGIC = b"\x1f\x8b"


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


# --- feeds -----------------------------------------------------------------------------------


def parse_feed(content: bytes, url: str, *, charset: str | None = None) -> Listing:
    """RSS 0.9x/1.0/2.0 and Atom through feedparser (bytes in, after the entity gate)."""
    check_xml(content, url)
    content_type = "application/xml"
    if charset and ascii_safe_encoding(charset):
        content_type += f"; charset={charset}"
    headers = {"content-type": content_type, "content-location": url}
    try:
        parsed = feedparser.parse(content, response_headers=headers)
    except Exception as exc:  # feedparser is lenient; anything it still raises is a bad feed
        raise ParseError(f"feed could not be parsed: {url}: {exc}") from exc
    entries: list[Any] = list(parsed.get("entries") or [])
    if not entries:
        if parsed.get("bozo"):
            reason = parsed.get("bozo_exception") or "malformed"
            raise ParseError(f"not a usable feed: {url}: {reason}")
        if not parsed.get("version"):
            raise ParseError(f"not a feed (no RSS or Atom root): {url}")
    guid_counts = Counter(str(e.get("id") or "") for e in entries)
    found: list[Link] = []
    for entry in entries:
        link = _entry_link(entry, url)
        if link is None:
            continue
        guid = str(entry.get("id") or "").strip() or None
        if guid is not None and (guid_counts[guid] > 1 or len(guid) > 1000):
            guid = None  # shared by several items (or absurd): not an identity
        found.append(
            Link(
                url=link,
                guid=guid,
                title=_entry_title(entry),
                published=_entry_date(entry, "published"),
                updated=_entry_date(entry, "updated"),
            )
        )
    if not found and parsed.get("bozo") and entries:
        raise ParseError(f"feed has entries but no usable links: {url}")
    feed = parsed.get("feed") or {}
    return Listing(tuple(found), ttl=_feed_ttl(feed), title=_clean(feed.get("title")))


def _entry_link(entry: Any, base: str) -> str | None:
    """The entry's link; else its GUID when that is itself an absolute http(s) URL."""
    link = dict.get(entry, "link")
    if link:
        return _absolute_http(base, link)
    guid = dict.get(entry, "id")
    if isinstance(guid, str) and guid.strip().lower().startswith(("http://", "https://")):
        return _absolute_http(base, guid)
    return None


def _entry_title(entry: Any) -> str | None:
    title = entry.get("title")
    detail = entry.get("title_detail") or {}
    if title and "<" in title and "html" in str(detail.get("type", "")):
        with contextlib.suppress(etree.ParserError, ValueError):
            title = lxml.html.fragment_fromstring(title, create_parent="div").text_content()
    return _clean(title)


def _entry_date(entry: Any, name: str) -> datetime | None:
    """The entry's own ``name`` date (no fallback from updated to published).

    The raw text is parsed first (feedparser reads unknown zone names such as MSK or KST as
    UTC); feedparser's ``*_parsed`` covers the formats dateutil does not read.
    """
    raw = dict.get(entry, name)  # plain dict access: FeedParserDict maps updated -> published
    value = parse_date(raw) if isinstance(raw, str) else None
    if value is None:
        struct = dict.get(entry, f"{name}_parsed")
        value = aware_from_struct(struct) if struct else None
    return value


def _feed_ttl(feed: Any) -> timedelta | None:
    ttl = _positive_int(feed.get("ttl"))
    if ttl is not None:
        return timedelta(minutes=ttl)
    period = _SY_PERIODS.get(str(feed.get("sy_updateperiod") or "").strip().lower())
    if period is None:
        return None
    frequency = _positive_int(feed.get("sy_updatefrequency")) or 1
    return period / frequency


def _positive_int(value: Any) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


# --- sitemaps --------------------------------------------------------------------------------


def parse_sitemap(content: bytes, url: str, *, max_bytes: int | None = None) -> Listing:
    """A sitemap, a Google News sitemap or a sitemap index (gzip bodies decompressed)."""
    if content.startswith(_GZIP_MAGIC):
        cap = DEFAULT_MAX_SITEMAP_BYTES if max_bytes is None else max_bytes
        content = _gunzip(content, cap, url)
    check_xml(content, url)
    found: list[Link] = []
    children: list[str] = []
    seen: set[tuple[str, str]] = set()  # (tag, loc): a repeated entry is kept once
    root: str | None = None
    events = etree.iterparse(
        BytesIO(content),
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        recover=True,
    )
    try:
        for event, element in events:
            tag = _local(element)
            if root is None:
                root = tag
                if root not in ("urlset", "sitemapindex"):
                    raise ParseError(f"not a sitemap (root <{root}>): {url}")
                continue
            if event != "end" or tag not in ("url", "sitemap"):
                continue
            fields = _child_texts(element)
            loc = _absolute_http(url, fields.get("loc"))
            if loc is not None and (tag, loc) not in seen:
                seen.add((tag, loc))
                if tag == "sitemap":
                    children.append(loc)
                else:
                    found.append(
                        Link(
                            url=loc,
                            title=_clean(fields.get("news/title")),
                            published=parse_date(fields.get("news/publication_date")),
                            updated=parse_date(fields.get("lastmod")),
                        )
                    )
            element.clear()
            parent = element.getparent()
            while parent is not None and element.getprevious() is not None:
                del parent[0]
    except etree.XMLSyntaxError as exc:
        if root is None or (not found and not children):
            raise ParseError(f"sitemap could not be parsed: {url}: {exc}") from exc
    if root is None:
        raise ParseError(f"empty sitemap: {url}")
    return Listing(tuple(found), sitemaps=tuple(children))


def _gunzip(content: bytes, cap: int, url: str) -> bytes:
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        data = inflater.decompress(content, cap + 1)
    except zlib.error as exc:
        raise ParseError(f"bad gzip sitemap: {url}: {exc}") from exc
    if len(data) > cap:
        raise TooLarge(f"gzip sitemap decodes to more than {cap} bytes: {url}", url=url)
    return data  # a truncated stream gives what it holds; the XML parser judges it


def _local(element: Any) -> str:
    tag = element.tag
    if not isinstance(tag, str):
        return ""  # comment or processing instruction
    return tag.rsplit("}", 1)[-1].lower()


def _child_texts(element: Any) -> dict[str, str]:
    """Texts of a <url>'s children by local name; news:news children as "news/<name>"."""
    texts: dict[str, str] = {}
    for child in element:
        name = _local(child)
        if name == "news":
            for item in child:
                texts.setdefault(f"news/{_local(item)}", (item.text or "").strip())
        elif name:
            texts.setdefault(name, (child.text or "").strip())
    return texts


# --- HTML section pages ----------------------------------------------------------------------


def parse_page(
    content: bytes, url: str, *, links: re.Pattern[str], charset: str | None = None
) -> Listing:
    """Anchors of a section page whose absolute URL matches ``links``, in page order."""
    known = [charset] if charset else []
    encoding = UnicodeDammit(content, known_definite_encodings=known, is_html=True)
    parser = lxml.html.HTMLParser(encoding=encoding.original_encoding)
    try:
        doc = lxml.html.document_fromstring(content, parser=parser)
    except (etree.ParserError, ValueError) as exc:
        raise ParseError(f"section page could not be parsed: {url}: {exc}") from exc
    base = url
    base_href = doc.find(".//base[@href]")
    if base_href is not None:
        base = urljoin(url, (base_href.get("href") or "").strip())
    order: list[str] = []
    titles: dict[str, str | None] = {}
    for anchor in doc.iter("a"):
        target = _absolute_http(base, anchor.get("href"))
        if target is None or not links.search(target):
            continue
        title = _clean(anchor.text_content()) or _clean(anchor.get("title"))
        if target not in titles:
            order.append(target)
            titles[target] = title
        elif titles[target] is None:
            titles[target] = title  # an image link first, the headline link after it
    page_title = doc.find(".//title")
    return Listing(
        tuple(Link(url=u, title=titles[u]) for u in order),
        title=_clean(page_title.text_content()) if page_title is not None else None,
    )


# --- shared ----------------------------------------------------------------------------------


def _absolute_http(base: str, href: Any) -> str | None:
    """``href`` made absolute against ``base``, without fragment; None unless http(s)."""
    if not isinstance(href, str) or not href.strip():
        return None
    try:
        absolute, _fragment = urldefrag(urljoin(base, href.strip()))
        parts = urlsplit(absolute)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return absolute


def parse_date(text: str | None) -> datetime | None:
    """A W3C/ISO or RFC 822 date as an aware UTC datetime; None for garbage. Naive -> UTC."""
    if not text or not text.strip():
        return None
    text = text.strip()
    try:
        value = dateparser.isoparse(text)
    except (ValueError, OverflowError):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # UnknownTimezoneWarning: the zone is taken as UTC
            try:
                value = dateparser.parse(text, tzinfos=ZONE_OFFSETS)
            except (ValueError, OverflowError, TypeError, LookupError):
                return None
    return _utc(value)


def aware_from_struct(struct: time.struct_time) -> datetime | None:
    """feedparser's ``*_parsed`` (a UTC struct_time) as an aware datetime."""
    try:
        return datetime(*struct[:6], tzinfo=UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def _utc(value: datetime) -> datetime | None:
    try:
        if value.tzinfo is None or value.utcoffset() is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def _clean(text: Any) -> str | None:
    if not isinstance(text, str):
        return None
    return " ".join(text.split()) or None
