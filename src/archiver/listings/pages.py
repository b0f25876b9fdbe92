"""HTML section pages -> Listing of the anchors a source's links regex accepts."""

from __future__ import annotations

import re
from urllib.parse import urljoin

import lxml.html
from bs4.dammit import UnicodeDammit
from lxml import etree

from archiver.errors import ParseError
from archiver.listings.common import absolute_http, clean
from archiver.listings.limits import check_tags
from archiver.models import Link, Listing


def parse_page(
    content: bytes, url: str, *, links: re.Pattern[str], charset: str | None = None
) -> Listing:
    """Anchors of a section page whose absolute URL matches ``links``, in page order."""
    check_tags(content, url)
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
        target = absolute_http(base, anchor.get("href"))
        if target is None or not links.search(target):
            continue
        title = clean(anchor.text_content()) or clean(anchor.get("title"))
        if target not in titles:
            order.append(target)
            titles[target] = title
        elif titles[target] is None:
            titles[target] = title  # an image link first, the headline link after it
    page_title = doc.find(".//title")
    return Listing(
        tuple(Link(url=u, title=titles[u]) for u in order),
        title=clean(page_title.text_content()) if page_title is not None else None,
    )
