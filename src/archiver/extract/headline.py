"""Title and lead: which of the page's candidates is the article's own.

Title: the JSON-LD headline, og:title, twitter:title, the first <h1>, the <title>, each
without a " - Site" suffix; an <h1> that equals one of the meta titles wins (it is what the
reader sees), else the first candidate in that order.

Lead (standfirst): the rule's selector, else a visible element after the <h1> marked as a
lead (class lead/intro/teaser/standfirst/deck/summary/subtitle/excerpt, itemprop
description), else the visible paragraph the page's description repeats, else the body's
first paragraph when the description is a cut of it.
"""

from __future__ import annotations

import re

from lxml.html import HtmlElement

from archiver.extract import jsonld
from archiver.extract.limits import xml_safe
from archiver.extract.metadata import PageMeta, description
from archiver.extract.text import element_text, fold, paragraphs

# (?<!\s): a search tries a whitespace run once, not at each of its spaces
# "…英雄的城！-新华网": a site name glued on after a dash, in a script without spaces
_GLUED_SUFFIX = re.compile(
    r"[-_|｜—–](?P<site>[\u3040-\u30ff\u4e00-\u9fff\uac00-\ud7af]{2,8}"
    r"(?:网|網|社|报|報|新闻|新聞|뉴스|ニュース))$"
)
_SEPARATORS = re.compile(r"(?<!\s)\s++(?:\||-|–|—|::|·|»|/|\*)\s++|(?<!\s)\s*+[｜]\s*+")
_BY = re.compile(r"^(?:by|von|par|por)\s", re.IGNORECASE)
_DATE_LIKE = re.compile(r"^[\d./\- ]{6,12}$")
_LEAD_CLASS = re.compile(
    r"(?:^|[\s_-])(?:lead|leadtext|lede|intro|standfirst|deck|dek|summary|subtitle|sub-title|"
    r"subheadline|subline|excerpt|teaser-text|article-summary|description|abstract|"
    r"header__lead|news-header__lead|speakable)(?:$|[\s_-])",
    re.IGNORECASE,
)
# what marks a lead candidate: itemprop=description, or one of these words in the class of
# a <p>, <div>, <h2>, <span> or <section> (_LEAD_CLASS then asks for them as whole words)
_LEAD_TAGS = frozenset({"p", "div", "h2", "span", "section"})
_LEAD_WORDS = re.compile(
    "lead|intro|standfirst|deck|Dek|summary|subtitle|sub-title|excerpt|teaser|speakable|"
    "subline|description"
)
_MAX_CANDIDATES = 40
_MAX_LEAD = 1500
_BLOCKISH = "//*[self::p or self::h2 or self::div or self::strong]"
_CONTAINS = _BLOCKISH + "[string-length(.) < 4000][contains(normalize-space(.), $prefix)]"
_SHOWN_HEADLINE = "//article//hgroup/*[self::h1 or self::h2]|//article//header//h2"
_NOT_LEAD_PLACES = (
    "ancestor::nav|ancestor::aside|ancestor::footer|ancestor::a|ancestor::li|"
    "ancestor::button|ancestor::form|ancestor::h1|ancestor::h2|ancestor::h3|"
    "ancestor::figure|ancestor::figcaption"
)
_PLACE_PREFIX = re.compile(r"^[^\W\d][\w .'-]{0,30}[.:–—-] ?$")


def title(meta: PageMeta, doc: HtmlElement, site: str | None) -> str | None:
    """og:title, JSON-LD headline, twitter:title, <h1>, <title> (without " - Site"), except
    that when the page has no article <h1> (only one in a nav bar), the headline shown in the
    article's <hgroup>/<header> wins when the JSON-LD headline agrees with it."""
    h1 = _article_h1(doc)
    article = meta.article
    headline = jsonld.text(article.get("headline"))
    if h1 is None and headline:
        shown = next((element_text(h) for h in doc.xpath(_SHOWN_HEADLINE)), None)
        if shown and fold(shown) == fold(headline):
            return shown
    raw = [
        meta.first("og:title"),
        headline,
        meta.first("twitter:title"),
        jsonld.text(article.get("name")),
    ]
    candidates = [strip_suffix(c, site) for c in raw if c]
    if h1 is None:
        h1 = next((t for t in (element_text(h) for h in doc.iter("h1")) if t), None)
    candidates += [c for c in (h1, strip_suffix(meta.head_title, site)) if c]
    return next((c for c in candidates if c), None)


def _article_h1(doc: HtmlElement) -> str | None:
    for h in doc.iter("h1"):
        text = element_text(h)
        if 0 < len(text) <= 400 and not h.xpath("ancestor::nav"):
            return text
    return None


def strip_suffix(text: str | None, site: str | None) -> str | None:
    """``"Story - Site"`` -> ``"Story"`` when the trailing part names the site or is a date."""
    if not text:
        return None
    parts = _SEPARATORS.split(text)
    seps = _SEPARATORS.findall(text)
    names = _site_names(site)
    while len(parts) > 1:
        last = fold(parts[-1]).casefold()
        short = len(last) <= 40
        if not (
            last in names
            or _DATE_LIKE.match(last)
            or (short and _BY.match(last))
            or any(short and (n in last or last in n) for n in names)
        ):
            break
        parts.pop()
        seps.pop()
    out = parts[0] + "".join(s + p for s, p in zip(seps, parts[1:], strict=False))
    glued = _GLUED_SUFFIX.search(out)
    if glued and glued.start() > 0:
        out = out[: glued.start()]
    return fold(out) or None


def _site_names(site: str | None) -> set[str]:
    if not site:
        return set()
    name = fold(site).casefold()
    names = {name, name.removeprefix("www.")}
    names.add(name.split(".")[0] if "." in name and " " not in name else name)
    return {n for n in names if n}


def lead(meta: PageMeta, doc: HtmlElement, title_text: str | None) -> str | None:
    """A lead the page marks as such, else the visible text its description repeats."""
    marked = _marked_lead(doc, title_text)
    if marked:
        return marked
    desc = description(meta)
    return _visible_copy(doc, desc) if desc else None


def lead_from_first_paragraph(meta: PageMeta, first_paragraph: str) -> str | None:
    """The body's first paragraph, when the page's description is (a cut of) it."""
    desc = description(meta)
    if not desc:
        return None
    cut = desc.rstrip(".… ").removesuffix("...")
    if len(cut) >= 40 and first_paragraph.startswith(cut):
        return first_paragraph
    return None


def _lead_candidates(doc: HtmlElement) -> list[HtmlElement]:
    """The first elements marked as a lead, in document order (one walk over the tree)."""
    out: list[HtmlElement] = []
    for el in doc.iter():
        tag = el.tag
        if (tag in _LEAD_TAGS and _LEAD_WORDS.search(el.get("class") or "")) or (
            tag != "meta" and el.get("itemprop") == "description"
        ):
            out.append(el)
            if len(out) >= _MAX_CANDIDATES:
                break
    return out


def _marked_lead(doc: HtmlElement, title_text: str | None) -> str | None:
    for el in _lead_candidates(doc):
        cls = el.get("class") or ""
        if el.get("itemprop") != "description" and not _LEAD_CLASS.search(cls):
            continue
        if el.xpath(_NOT_LEAD_PLACES) or "newsletter" in cls or "author" in cls:
            continue
        if len(el.xpath(".//p")) > 3 or el.xpath(".//h1|.//figure|.//figcaption"):
            continue
        text = fold(" ".join(paragraphs(el)))  # what a reader sees: no <script> inside
        if not 20 <= len(text) <= _MAX_LEAD or text == title_text:
            continue
        if not el.xpath("boolean(preceding::h1)") or not _near_h1(el):
            continue
        return text
    return None


def _near_h1(el: HtmlElement, levels: int = 5) -> bool:
    """True when an <h1> sits in one of the element's nearest ancestors."""
    return any(ancestor.find(".//h1") is not None for ancestor in list(el.iterancestors())[:levels])


def _visible_copy(doc: HtmlElement, desc: str) -> str | None:
    """A paragraph-like element showing the description: whole, cut short ("..."), or
    after a short place prefix ("Berlin. " + description)."""
    cut = desc.rstrip(".… ").removesuffix("...")
    if len(cut) < 30:
        return None
    head = xml_safe(fold(desc)[:24])
    for el in doc.xpath(_CONTAINS, prefix=head):
        if el.tag == "div" and len(el) > 3:
            continue
        text = element_text(el)
        if text == desc or (len(text) <= _MAX_LEAD and text.startswith(cut) and desc != cut):
            return text
        if text.endswith(desc) and _PLACE_PREFIX.match(text[: len(text) - len(desc)]):
            return text
        if len(text) >= 60 and desc.startswith(text) and desc[len(text) :][:1] == " ":
            return text  # the description runs on into the body
    return None
