"""RSS and Atom feeds -> Listing (feedparser, behind the entity gate).

An entry's URL is the article's: Feedburner's ``<feedburner:origLink>`` first; else, when the
entry's ``<link>`` is a redirector or tracker (``feedproxy.google.com`` and kin) or an
explicit permalink GUID (``<guid isPermaLink="true">``) names another host, the GUID; else
the ``<link>``.
"""

from __future__ import annotations

import contextlib
import html
import re
from collections import Counter
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import feedparser
import lxml.html
from lxml import etree

from archiver.errors import ParseError
from archiver.listings.common import absolute_http, clean
from archiver.listings.dates import aware_from_struct, feed_date
from archiver.listings.limits import check_tags, first_items
from archiver.listings.xmlsafe import ascii_safe_encoding, check_xml
from archiver.models import Link, Listing

_SY_PERIODS = {
    "hourly": timedelta(hours=1),
    "daily": timedelta(days=1),
    "weekly": timedelta(weeks=1),
    "monthly": timedelta(days=30),
    "yearly": timedelta(days=365),
}

#: hosts whose links only redirect to the article (feed proxies, click trackers)
REDIRECTORS = (
    "feedproxy.google.com",
    "feeds.feedburner.com",
    "feedburner.google.com",
    "feedsportal.com",
    "feedblitz.com",
    "feeds.feedblitz.com",
    "news.google.com",
)
_HAS_PERMALINK = re.compile(rb"ispermalink", re.IGNORECASE)
_GUID = re.compile(
    r"<guid\b([^>]*+)>\s*+(?:<!\[CDATA\[(.*?)\]\]>|([^<]*+))\s*+</guid\s*+>",
    re.IGNORECASE | re.DOTALL,
)
_PERMALINK_ATTR = re.compile(r"\bispermalink\s*+=\s*+[\"']?\s*+(\w+)", re.IGNORECASE)


def parse_feed(content: bytes, url: str, *, charset: str | None = None) -> Listing:
    """RSS 0.9x/1.0/2.0 and Atom through feedparser (bytes in, after the entity gate)."""
    check_xml(content, url)
    check_tags(content, url)
    content = first_items(content)
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
    permalinks = permalink_flags(content)
    found: list[Link] = []
    for entry in entries:
        link = _entry_link(entry, url, permalinks)
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
    return Listing(tuple(found), ttl=_feed_ttl(feed), title=clean(feed.get("title")))


def _entry_link(entry: Any, base: str, permalinks: dict[str, bool]) -> str | None:
    """The article's URL for ``entry`` (see the module's docstring)."""
    original = absolute_http(base, dict.get(entry, "feedburner_origlink"))
    if original is not None:
        return original
    guid = dict.get(entry, "id")
    guid_url = None
    if isinstance(guid, str) and guid.strip().lower().startswith(("http://", "https://")):
        guid_url = absolute_http(base, guid)
    raw = dict.get(entry, "link")
    link = absolute_http(base, raw) if raw else None
    if link is None or guid_url is None or guid_url == link:
        return link or guid_url
    flag = permalinks.get(str(guid).strip())  # True, False, or None when the attribute is absent
    if flag is not False and is_redirector(link):
        return guid_url  # RSS: a GUID is a permalink unless it says isPermaLink="false"
    if flag is True and _site(guid_url) != _site(link):
        return guid_url
    return link


def is_redirector(url: str) -> bool:
    """Whether ``url`` is on a feed proxy or click tracker (``REDIRECTORS``)."""
    host = (urlsplit(url).hostname or "").lower()
    return any(host == r or host.endswith("." + r) for r in REDIRECTORS)


def permalink_flags(content: bytes) -> dict[str, bool]:
    """Each RSS ``<guid>`` text that carries an ``isPermaLink`` attribute -> whether it is
    "true" (feedparser keeps the text but not the attribute)."""
    if not _HAS_PERMALINK.search(content):
        return {}
    text = content.decode("utf-8", errors="replace")
    flags: dict[str, bool] = {}
    for match in _GUID.finditer(text):
        attribute = _PERMALINK_ATTR.search(match.group(1))
        if attribute is None:
            continue
        value = match.group(2) if match.group(2) is not None else html.unescape(match.group(3))
        flags.setdefault(value.strip(), attribute.group(1).lower() == "true")
    return flags


def _site(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.")


def _entry_title(entry: Any) -> str | None:
    title = entry.get("title")
    detail = entry.get("title_detail") or {}
    if title and "<" in title and "html" in str(detail.get("type", "")):
        with contextlib.suppress(etree.ParserError, ValueError):
            title = lxml.html.fragment_fromstring(title, create_parent="div").text_content()
    return clean(title)


def _entry_date(entry: Any, name: str) -> datetime | None:
    """The entry's own ``name`` date (no fallback from updated to published).

    The raw text is read by ``feed_date`` (feedparser's handlers, with the agencies' zone
    names such as MSK or KST, which feedparser alone takes for UTC); the entry's
    ``*_parsed`` is the fallback.
    """
    raw = dict.get(entry, name)  # plain dict access: FeedParserDict maps updated -> published
    value = feed_date(raw) if isinstance(raw, str) else None
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
