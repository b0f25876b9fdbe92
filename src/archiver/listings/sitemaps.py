"""Sitemaps (XML, Google News, indexes, plain text, robots.txt, gzip) -> Listing.

* XML: ``<urlset>`` (with Google News fields) and ``<sitemapindex>``;
* plain text: one absolute URL per line, UTF-8 (the sitemaps.org text format);
* robots.txt (a URL whose path is ``/robots.txt``): its ``Sitemap:`` lines are child
  sitemaps, followed like a sitemap index's;
* any of these gzip-compressed (every member, up to the cap).

A body cut short (a truncated download or gzip stream) never yields a cut URL: XML keeps
only the entries whose closing tag arrived; a truncated gzip text sitemap drops its
unfinished last line.
"""

from __future__ import annotations

import re
import zlib
from io import BytesIO
from typing import Any

from lxml import etree
from protego import Protego

from archiver.errors import ParseError, TooLarge
from archiver.listings.common import absolute_http, clean
from archiver.listings.dates import w3c_date
from archiver.listings.limits import MAX_SITEMAP_URLS, check_tags
from archiver.listings.xmlsafe import check_xml
from archiver.models import Link, Listing

DEFAULT_MAX_SITEMAP_BYTES = 100 * 1024 * 1024  # decoded size cap for gzip sitemaps

_GZIP_MAGIC = b"\x1f\x8b"
_ROOT_END = re.compile(rb"</(?:[\w.-]{1,40}:)?(?:urlset|sitemapindex)\s*>", re.IGNORECASE)
_ENTRY_END = re.compile(rb"</(?:[\w.-]{1,40}:)?(?:url|sitemap)\s*>", re.IGNORECASE)
_ENTRY_START = re.compile(rb"<(?:[\w.-]{1,40}:)?(?:url|sitemap)(?=[\s>/])", re.IGNORECASE)
_TAIL = 4096  # bytes at the end of a whole document where its root closes
_URL_LINE = re.compile(r"https?://\S+", re.IGNORECASE)


def parse_sitemap(content: bytes, url: str, *, max_bytes: int | None = None) -> Listing:
    """A sitemap, a Google News sitemap, a sitemap index, a text sitemap or a robots.txt
    (gzip bodies decompressed)."""
    truncated = False
    if content.startswith(_GZIP_MAGIC):
        cap = DEFAULT_MAX_SITEMAP_BYTES if max_bytes is None else max_bytes
        content, truncated = _gunzip(content, cap, url)
    if is_robots_url(url):
        return robots_sitemaps(content, url)
    if not _is_markup(content):
        return text_sitemap(content, url, truncated=truncated)
    content = whole_entries(content)
    check_xml(content, url)
    check_tags(content, url)
    found: list[Link] = []
    children: list[str] = []
    seen: set[tuple[str, str]] = set()  # (tag, loc): a repeated entry is kept once
    root: str | None = None
    entries = 0
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
            entries += 1
            if entries > MAX_SITEMAP_URLS:
                break  # the protocol's limit per file; the parse ends here
            fields = _child_texts(element)
            loc = absolute_http(url, fields.get("loc"))
            if loc is not None and (tag, loc) not in seen:
                seen.add((tag, loc))
                if tag == "sitemap":
                    children.append(loc)
                else:
                    found.append(
                        Link(
                            url=loc,
                            title=clean(fields.get("news/title")),
                            published=w3c_date(fields.get("news/publication_date")),
                            updated=w3c_date(fields.get("lastmod")),
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


def is_robots_url(url: str) -> bool:
    """Whether ``url`` names a robots.txt (its Sitemap lines are the listing)."""
    path = url.split("#", 1)[0].split("?", 1)[0]
    return path.lower().endswith("/robots.txt")


def robots_sitemaps(content: bytes, url: str) -> Listing:
    """The sitemaps a robots.txt names in its ``Sitemap:`` lines (read by protego)."""
    text = content.decode("utf-8", errors="replace")
    children: list[str] = []
    for raw in Protego.parse(text).sitemaps:
        loc = absolute_http(url, raw)
        if loc is not None and loc not in children:
            children.append(loc)
        if len(children) >= MAX_SITEMAP_URLS:
            break
    if not children:
        raise ParseError(f"robots.txt names no sitemap (no Sitemap: lines): {url}")
    return Listing((), sitemaps=tuple(children))


def text_sitemap(content: bytes, url: str, *, truncated: bool = False) -> Listing:
    """A text sitemap: one absolute http(s) URL per line; other lines are ignored. With
    ``truncated`` (a gzip stream cut short) an unfinished last line is dropped."""
    text = content.decode("utf-8", errors="replace").lstrip("\ufeff")
    lines = text.splitlines()
    if truncated and lines and not text.endswith(("\n", "\r")):
        lines.pop()  # cut mid-line: not a whole URL
    found: list[Link] = []
    seen: set[str] = set()
    for line in lines:
        line = line.strip()
        if not _URL_LINE.fullmatch(line):
            continue
        loc = absolute_http(url, line)
        if loc is not None and loc not in seen:
            seen.add(loc)
            found.append(Link(url=loc))
            if len(found) >= MAX_SITEMAP_URLS:
                break  # the protocol's limit per file
    if not found and text.strip():
        raise ParseError(f"not a sitemap (neither XML nor lines of URLs): {url}")
    return Listing(tuple(found))


def whole_entries(content: bytes) -> bytes:
    """``content`` up to its last complete ``<url>``/``<sitemap>`` entry when the document
    was cut before its root closed (so the parser's recovery never closes a cut ``<loc>``)."""
    if _ROOT_END.search(content, max(0, len(content) - _TAIL)):
        return content
    window = 64 * 1024
    while True:
        start = max(0, len(content) - window)
        ends = list(_ENTRY_END.finditer(content, start))
        if ends:
            return content[: ends[-1].end()]
        if start == 0:
            first = _ENTRY_START.search(content)
            return content[: first.start()] if first else content
        window *= 4


def _is_markup(content: bytes) -> bool:
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True  # UTF-16: XML (a text sitemap is UTF-8)
    head = content[:1024].removeprefix(b"\xef\xbb\xbf").lstrip()
    return not head or head.startswith(b"<")


def _gunzip(content: bytes, cap: int, url: str) -> tuple[bytes, bool]:
    """Every gzip member of ``content`` (a .gz may hold several), at most ``cap`` bytes;
    and whether the stream was cut short."""
    parts: list[bytes] = []
    size = 0
    rest = content
    while rest:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            data = inflater.decompress(rest, cap + 1 - size)
        except zlib.error as exc:
            if parts:
                break  # garbage after a good member: keep what was read
            raise ParseError(f"bad gzip sitemap: {url}: {exc}") from exc
        size += len(data)
        parts.append(data)
        if size > cap:
            raise TooLarge(f"gzip sitemap decodes to more than {cap} bytes: {url}", url=url)
        if not inflater.eof:
            return b"".join(parts), True  # a truncated stream gives what it holds
        rest = inflater.unused_data.lstrip(b"\0")
    return b"".join(parts), False


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
