"""Applying a SiteRule's selectors to a parsed page."""

from __future__ import annotations

from datetime import datetime, tzinfo

from lxml.html import HtmlElement

from archiver.extract.dates import parse_date
from archiver.extract.rules import selector
from archiver.extract.text import fold, paragraphs

_DATE_ATTRS = (
    "datetime",
    "content",
    "time",
    "data-time",
    "data-utc-time",
    "data-timestamp",
    "data-datetime",
    "data-date",
    "title",
)
_LABELS = frozenset({"strong", "b", "label", "dt", "em"})


def select(doc: HtmlElement, css: str | None) -> list[HtmlElement]:
    if not css:
        return []
    return list(selector(css)(doc))


def labelled_text(el: HtmlElement) -> str:
    """The element's text without a leading label child (``<strong>Author</strong> Name``)."""
    children = list(el)
    if (
        children
        and not (el.text or "").strip()
        and isinstance(children[0].tag, str)
        and children[0].tag in _LABELS
        and fold(children[0].tail or "")
    ):
        rest = [children[0].tail or ""]
        rest += [c.text_content() + (c.tail or "") for c in children[1:]]
        return fold("".join(rest))
    return fold(el.text_content())


def first_text(doc: HtmlElement, css: str | None) -> str | None:
    for el in select(doc, css):
        text = labelled_text(el)
        if text:
            return text
    return None


def all_texts(doc: HtmlElement, css: str | None) -> list[str]:
    out: list[str] = []
    for el in select(doc, css):
        text = labelled_text(el)
        if text and text not in out:
            out.append(text)
    return out


def first_date(
    doc: HtmlElement, css: str | None, tz: tzinfo | None, now: datetime | None
) -> datetime | None:
    for el in select(doc, css):
        for attr in _DATE_ATTRS:
            value = parse_date(el.get(attr), tz=tz, now=now)
            if value:
                return value
        value = parse_date(labelled_text(el), tz=tz, now=now)
        if value:
            return value
    return None


def body_paragraphs(doc: HtmlElement, body_css: str | None, drop_css: str | None) -> list[str]:
    """Paragraphs of every body container (outermost matches only), minus dropped parts."""
    containers = select(doc, body_css)
    if not containers:
        return []
    chosen = set(containers)
    outer = [c for c in containers if not any(a in chosen for a in c.iterancestors())]
    out: list[str] = []
    for container in outer:  # drop is looked for inside the containers only (cheaper)
        skip = set(selector(drop_css)(container)) if drop_css else set()
        out.extend(paragraphs(container, skip))
    return out
