"""Sitemaps (plain, Google News, indexes, gzip) -> Listing."""

from __future__ import annotations

import zlib
from io import BytesIO
from typing import Any

from lxml import etree

from archiver.errors import ParseError, TooLarge
from archiver.listings.common import absolute_http, clean
from archiver.listings.dates import w3c_date
from archiver.listings.limits import MAX_SITEMAP_URLS, check_tags
from archiver.listings.xmlsafe import check_xml
from archiver.models import Link, Listing

DEFAULT_MAX_SITEMAP_BYTES = 100 * 1024 * 1024  # decoded size cap for gzip sitemaps

_GZIP_MAGIC = b"\x1f\x8b"


def parse_sitemap(content: bytes, url: str, *, max_bytes: int | None = None) -> Listing:
    """A sitemap, a Google News sitemap or a sitemap index (gzip bodies decompressed)."""
    if content.startswith(_GZIP_MAGIC):
        cap = DEFAULT_MAX_SITEMAP_BYTES if max_bytes is None else max_bytes
        content = _gunzip(content, cap, url)
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


def _gunzip(content: bytes, cap: int, url: str) -> bytes:
    """Every gzip member of ``content`` (a .gz may hold several), at most ``cap`` bytes."""
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
            break  # a truncated stream gives what it holds; the XML parser judges it
        rest = inflater.unused_data.lstrip(b"\0")
    return b"".join(parts)


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
