"""Text out of lxml elements: folded whitespace and paragraphs, without recursion."""

from __future__ import annotations

import re

from lxml import etree
from lxml.html import HtmlElement

_SPACE = re.compile(r"[\s\x00-\x08\x7f]+")  # control characters count as space
# elements whose text never belongs to an article body
SKIP = frozenset(
    {
        "script",
        "style",
        "noscript",
        "template",
        "svg",
        "button",
        "form",
        "iframe",
        "select",
        "input",
        "textarea",
        "object",
        "video",
        "audio",
        "picture",
        "img",
        "figure",
        "figcaption",
        "nav",
        "aside",
        "footer",
        "head",
        "title",
        "meta",
        "link",
        "canvas",
    }
)
# elements that end a paragraph
BLOCKS = frozenset(
    {
        "p",
        "div",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "li",
        "ul",
        "ol",
        "blockquote",
        "pre",
        "section",
        "article",
        "header",
        "main",
        "table",
        "tr",
        "dl",
        "dt",
        "dd",
        "br",
        "hr",
        "center",
        "address",
        "details",
        "summary",
    }
)
_MAX_TEXT = 2_000_000  # characters kept from one body


_CJK = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def word_count(text: str) -> int:
    """Words of ``text``: whitespace tokens, except that each Chinese or Japanese character
    counts as one word (those scripts write no spaces between words)."""
    cjk = len(_CJK.findall(text)) if not text.isascii() else 0
    if not cjk:
        return len(text.split())
    return cjk + len(_CJK.sub(" ", text).split())


def fold(text: str | None) -> str:
    """Whitespace runs folded to one space, ends stripped."""
    if not text:
        return ""
    return _SPACE.sub(" ", text).strip()


def element_text(el: HtmlElement | None) -> str:
    if el is None:
        return ""
    return fold(el.text_content())


def paragraphs(container: HtmlElement, skip: set[HtmlElement] | None = None) -> list[str]:
    """The paragraphs of ``container``: text split at block boundaries, whitespace folded.

    ``skip`` elements (and their subtrees) are left out. Walks the tree iteratively, so a
    deeply nested page cannot exhaust the stack.
    """
    parts: list[str] = []
    current: list[str] = []
    size = 0
    skipping: HtmlElement | None = None

    def flush() -> None:
        text = fold("".join(current))
        current.clear()
        if text:
            parts.append(text)

    for event, el in etree.iterwalk(container, events=("start", "end")):
        tag = el.tag if isinstance(el.tag, str) else ""
        if skipping is not None:
            if event == "end" and el is skipping:
                skipping = None
                if el is not container and el.tail:
                    current.append(el.tail)
            continue
        if event == "start":
            if not tag or tag.lower() in SKIP or (skip and el in skip):
                if el is container:
                    return []
                skipping = el
                continue
            if tag.lower() in BLOCKS:
                flush()
            if el.text:
                current.append(el.text)
                size += len(el.text)
        else:
            if tag.lower() in BLOCKS:
                flush()
            if el is not container and el.tail:
                current.append(el.tail)
                size += len(el.tail)
        if size > _MAX_TEXT:
            break
    flush()
    return parts
