"""Byte-level limits a listing passes before any parser sees it, so every parse is bounded.

Parsers are not linear in everything: libxml2's HTML parser and feedparser look attributes
up in a list, so one tag with 100,000 attributes costs minutes; feedparser spends about a
millisecond per item, so a feed of 100,000 items costs a minute and more. These checks are
single regular-expression passes (atomic groups: no backtracking), a few milliseconds on
megabytes, and run before the parse:

* a tag with more than ``MAX_ATTRIBUTES`` attributes is refused (no real feed, sitemap or
  section page has more than a few dozen);
* a feed keeps its first ``MAX_FEED_ITEMS`` items (newest first in practice); the rest of
  the document after the last item (the closing tags) is kept, so it still parses;
* a sitemap file holds at most ``MAX_SITEMAP_URLS`` entries (the sitemap protocol's own
  limit of 50,000 URLs per file); the parser stops there.
"""

from __future__ import annotations

import re

from archiver.errors import ParseError

MAX_ATTRIBUTES = 1000
MAX_FEED_ITEMS = 1000
MAX_SITEMAP_URLS = 50_000

# a start tag with more than MAX_ATTRIBUTES attributes (quoted values may hold "<" or ">")
_ATTRIBUTE = rb"""(?>\s+[^\s=<>/"']++(?>\s*=\s*(?>"[^"]*+"|'[^']*+'|[^\s<>"']*+))?)"""
_CROWDED_TAG = re.compile(rb"<[A-Za-z_:][^\s<>/]*+" + _ATTRIBUTE + rb"{%d}" % (MAX_ATTRIBUTES + 1))
_ITEM_END = re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?(?:item|entry)\s*>", re.IGNORECASE)


def check_tags(content: bytes, url: str) -> None:
    """Raise ParseError when a tag of ``content`` has more than MAX_ATTRIBUTES attributes."""
    if _CROWDED_TAG.search(content):
        raise ParseError(f"a tag with more than {MAX_ATTRIBUTES} attributes refused: {url}")


def first_items(content: bytes, limit: int = MAX_FEED_ITEMS) -> bytes:
    """``content`` with only its first ``limit`` feed items (RSS ``<item>``, Atom
    ``<entry>``, any prefix); what follows the last item is kept so the document closes."""
    ends = _ITEM_END.finditer(content)
    cut = None
    for count, match in enumerate(ends, start=1):
        if count == limit:
            cut = match.end()
            break
    if cut is None:
        return content
    last = cut
    for match in ends:  # the iterator goes on from the cut: find the last item's end
        last = match.end()
    if last == cut:
        return content
    return content[:cut] + content[last:]
