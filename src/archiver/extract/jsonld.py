"""JSON-LD blocks of a page -> the article object(s) they describe.

Handles ``@graph``, top-level lists, ``mainEntity``/``mainEntityOfPage`` nesting and broken
blocks (a block that does not parse is skipped, never an error).
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterator
from typing import Any

from lxml.html import HtmlElement

_ARTICLE_TYPES = (
    "article",
    "newsarticle",
    "blogposting",
    "reportage",
    "liveblogposting",
    "report",
    "socialmediaposting",
    "analysisnewsarticle",
)
_MAX_BLOCK = 2_000_000
_MAX_NODES = 2_000


def blocks(doc: HtmlElement) -> list[Any]:
    """Every parsable ``application/ld+json`` block of the document."""
    out = []
    for script in doc.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        text = (script.text or "").strip()
        if not text or len(text) > _MAX_BLOCK:
            continue
        try:
            out.append(json.loads(text, strict=False))
        except (ValueError, RecursionError):
            continue
    return out


def nodes(data: Any) -> Iterator[dict[str, Any]]:
    """Every JSON object reachable through lists, @graph and mainEntity (breadth first)."""
    queue = [data]
    seen = 0
    while queue and seen < _MAX_NODES:
        item = queue.pop(0)
        seen += 1
        if isinstance(item, list):
            queue.extend(item)
        elif isinstance(item, dict):
            yield item
            for key in ("@graph", "mainEntity", "mainEntityOfPage", "hasPart", "itemListElement"):
                child = item.get(key)
                if isinstance(child, dict | list):
                    queue.append(child)


def types(node: dict[str, Any]) -> list[str]:
    value = node.get("@type")
    if isinstance(value, str):
        return [value.lower()]
    if isinstance(value, list):
        return [v.lower() for v in value if isinstance(v, str)]
    return []


def is_article(node: dict[str, Any]) -> bool:
    return any(t.endswith(_ARTICLE_TYPES) or t in _ARTICLE_TYPES for t in types(node))


def articles(data: list[Any]) -> list[dict[str, Any]]:
    """The article objects, the one with the most article fields first."""
    found = [n for block in data for n in nodes(block) if is_article(n)]
    keys = ("headline", "datePublished", "author", "articleBody")
    found.sort(key=lambda n: -sum(1 for k in keys if n.get(k)))
    return found


def video_only(data: list[Any]) -> bool:
    """True when the page describes a video and no article."""
    all_nodes = [n for block in data for n in nodes(block)]
    has_video = any("videoobject" in types(n) for n in all_nodes)
    return has_video and not any(is_article(n) for n in all_nodes)


def text(value: Any) -> str | None:
    """A JSON-LD value as clean text (entities unescaped, whitespace folded)."""
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str) and v.strip()), None)
    if isinstance(value, dict):
        value = value.get("name") or value.get("@value")
    if not isinstance(value, str):
        return None
    cleaned = " ".join(html.unescape(value).split())
    return cleaned or None


def names(value: Any, index: dict[str, dict[str, Any]] | None = None) -> list[str]:
    """Names of an author/creator value: a string, an object, or a list of either.

    An object that is only an ``@id`` reference is looked up in ``index`` (see ``by_id``);
    a Person with givenName/familyName and no name gets "given family".
    """
    items = value if isinstance(value, list) else [value]
    out: list[str] = []
    for item in items:
        if isinstance(item, dict) and not item.get("name") and index is not None:
            item = index.get(str(item.get("@id")), item)
        if isinstance(item, dict):
            name = item.get("name")
            if not name and (item.get("givenName") or item.get("familyName")):
                name = f"{item.get('givenName') or ''} {item.get('familyName') or ''}"
        else:
            name = item
        if isinstance(name, list):
            out.extend(n for n in name if isinstance(n, str))
        elif isinstance(name, str):
            out.append(name)
    return [" ".join(html.unescape(n).split()) for n in out if n and n.strip()]


def by_id(data: list[Any]) -> dict[str, dict[str, Any]]:
    """Every object with an ``@id``, by that id (to resolve references in a @graph)."""
    return {
        str(n["@id"]): n
        for block in data
        for n in nodes(block)
        if isinstance(n.get("@id"), str) and len(n) > 1
    }
