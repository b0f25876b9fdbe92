"""Article metadata from the parsed page, in a documented order of trust.

1. the site rule's selectors (when a rule covers the page; see ``rules.py``);
2. JSON-LD ``NewsArticle`` (and kin: Article, BlogPosting, ReportageNewsArticle, ...);
3. OpenGraph / ``article:*`` / ``<meta name>`` tags;
4. ``<time datetime>`` elements and visible bylines (``rel=author``, ``itemprop=author``,
   ``.byline``/``.author`` elements);
5. the URL (a date in its path).

Every published/updated value records where it came from ("rule", "jsonld", "meta",
"time", "url").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Any

from lxml.html import HtmlElement

from archiver.extract import jsonld
from archiver.extract.boilerplate import person
from archiver.extract.dates import parse_date
from archiver.extract.text import fold

_SAME_INSTANT = timedelta(minutes=1)
_UTC = timedelta(0)
_TIME = re.compile(r"\d:\d\d|^\s*\d{9,13}(?:\.\d+)?\s*$")  # a clock time, or a Unix timestamp
_META_KEYS = ("property", "name", "itemprop", "http-equiv")
_PUBLISHED_META = (
    "article:published_time",
    "og:article:published_time",
    "datepublished",
    "publishdate",
    "publish-date",
    "pubdate",
    "parsely-pub-date",
    "sailthru.date",
    "dc.date.issued",
    "dc.date",
    "dcterms.date",
    "date",
    "article.published",
    "og:published_time",
    "published_time",
    "date.release",
)
_UPDATED_META = (
    "article:modified_time",
    "og:updated_time",
    "og:article:modified_time",
    "datemodified",
    "last-modified",
    "dcterms.modified",
    "article.updated",
    "lastmod",
)
_AUTHOR_META = (
    "author",
    "article:author",
    "dc.creator",
    "parsely-author",
    "sailthru.author",
    "byl",
    "og:article:author",
    "dcterms.creator",
)
# /2024/05/06/ (the day a whole path segment: in /2023/10/3-fragen-an/ the 3 starts a slug
# word, it is no day), /2024-05-06, -20240506
_URL_DATE = re.compile(
    r"/((?:19|20)\d\d)/(0?[1-9]|1[0-2])/(0?[1-9]|[12]\d|3[01])(?=[/.?#_;,]|$)"
    r"|/((?:19|20)\d\d)-(0?[1-9]|1[0-2])-(0?[1-9]|[12]\d|3[01])(?![0-9])"
    r"|[/-]((?:19|20)\d\d)(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])(?:\d{0,10})(?:[/.-]|$)"
)
_BYLINE_XPATH = (
    "//*[@rel='author' or @itemprop='author' or contains(@class,'author') or "
    "contains(@class,'byline') or contains(@class,'Author') or contains(@class,'Byline')]"
    "[not(self::meta or self::link or self::img or self::script or ancestor::footer)]"
    "[not(contains(@class,'comment') or contains(@class,'box') or contains(@class,'bio'))]"
)
_BYLINE_INNER = (
    ".//*[@rel='author' or @itemprop='author' or contains(@class,'author') or "
    "contains(@class,'byline') or contains(@class,'Author') or contains(@class,'Byline')]"
    "[not(self::img)]"
)
_CONJUNCTION = re.compile(r"(?<!\s)\s++(?:and|und|og|och|et|y|e|&)\s++")
_NAME_SEPARATOR = re.compile(
    r"(?<!\s)\s*+(?:,|;|\band\b|\bund\b|\bet\b|\by\b|\bog\b|\boch\b|&|\|)\s*+"
)
_LANGUAGE_CODE = re.compile(r"[a-z]{2,3}")
_NOT_A_NAME = ("http://", "https://", "@", "www.", "(")
_AUTHOR_HREF = re.compile(
    r"/(?:authors?|autor(?:en|in)?|reporters?|journalists?|writers?|profiles?|people|staff|"
    r"contributors?|redakteur\w*|columnists?|by)/",
    re.IGNORECASE,
)
# one to eight words, one space or slash between them; possessive: no backtracking
_NAME_LINE = re.compile(r"^[^\W\d_][\w'’.-]*+(?:[ /][^\W\d_][\w'’.-]*+){0,7}[ /]?$")
_SOCIAL = re.compile(
    r"(facebook|twitter|x\.com|instagram|linkedin|t\.me|youtube|tiktok)", re.IGNORECASE
)
_BYLINE_PREFIX = re.compile(
    r"^\s*(?:by|von|par|por|di|door|av|af|od|от|автор[ы]?:?|written by|reporting by)\s+",
    re.IGNORECASE,
)


@dataclass
class PageMeta:
    """What the page says about itself, gathered once from the tree."""

    metas: dict[str, list[str]] = field(default_factory=dict)
    article: dict[str, Any] = field(default_factory=dict)  # the JSON-LD article object
    blocks: list[Any] = field(default_factory=list)
    canonical: str | None = None
    html_lang: str | None = None
    head_title: str | None = None

    def first(self, *keys: str) -> str | None:
        for key in keys:
            for value in self.metas.get(key, ()):
                cleaned = fold(value)
                if cleaned:
                    return cleaned
        return None


def gather(doc: HtmlElement) -> PageMeta:
    meta = PageMeta()
    for el in doc.iter("meta"):
        content = el.get("content")
        if content is None:  # <meta property="og:article:published_time" value="...">
            content = el.get("value")
        if content is None:
            continue
        for attr in _META_KEYS:
            key = el.get(attr)
            if key:
                meta.metas.setdefault(key.strip().lower(), []).append(content)
    for el in doc.iter("link"):
        if (el.get("rel") or "").strip().lower() == "canonical" and el.get("href"):
            meta.canonical = el.get("href", "").strip()
            break
    meta.blocks = jsonld.blocks(doc)
    found = jsonld.articles(meta.blocks)
    meta.article = found[0] if found else {}
    lang = doc.get("lang") or doc.get("xml:lang")
    meta.html_lang = lang.strip() if lang and lang.strip() else None
    title_el = doc.find(".//title")
    meta.head_title = fold(title_el.text_content()) if title_el is not None else None
    return meta


def canonical_url(meta: PageMeta) -> str | None:
    for value in (meta.canonical, meta.first("og:url"), jsonld.text(meta.article.get("url"))):
        if value and value.startswith(("http://", "https://")):
            return value
    return None


def site_name(meta: PageMeta) -> str | None:
    publisher = meta.article.get("publisher")
    return meta.first("og:site_name", "application-name") or jsonld.text(publisher)


def description(meta: PageMeta) -> str | None:
    return meta.first("og:description", "description", "twitter:description") or jsonld.text(
        meta.article.get("description")
    )


def dated(
    meta: PageMeta,
    doc: HtmlElement,
    url: str,
    *,
    which: str,
    tz: tzinfo | None,
    now: datetime | None,
) -> tuple[datetime | None, str | None]:
    """published (which="published") or updated, with where it came from.

    When the JSON-LD and the ``<meta>`` tags give publication dates on different days, see
    ``_agreed``."""
    key = "datePublished" if which == "published" else "dateModified"
    ld_raw = jsonld.text(meta.article.get(key))
    ld = parse_date(ld_raw, tz=tz, now=now)
    tag_raw, tag = None, None
    for name in _PUBLISHED_META if which == "published" else _UPDATED_META:
        tag_raw, tag = next(
            (
                (raw, v)
                for raw in meta.metas.get(name, ())
                if (v := parse_date(raw, tz=tz, now=now))
            ),
            (None, None),
        )
        if tag:
            break
    if ld and tag and which == "published":
        modified = parse_date(jsonld.text(meta.article.get("dateModified")), tz=tz, now=now)
        return _agreed(ld, ld_raw or "", tag, tag_raw or "", modified)
    if ld:
        return ld, "jsonld"
    if tag:
        return tag, "meta"
    if which != "published":
        return None, None
    for el in doc.iter("time"):
        value = parse_date(el.get("datetime") or el.get("data-datetime"), tz=tz, now=now)
        if value:
            return value, "time"
    value = url_date(url, tz=tz, now=now)
    return (value, "url") if value else (None, None)


def _agreed(
    ld: datetime, ld_raw: str, tag: datetime, tag_raw: str, modified: datetime | None
) -> tuple[datetime, str]:
    """The publication date when JSON-LD (``ld``) and a ``<meta>`` tag (``tag``) both give one.

    * the same instant (to the minute) written in two zones: the one in the site's own zone
      (not UTC) shows the day its readers saw;
    * the same day, or a tag with no time against a JSON-LD time: the JSON-LD;
    * a tag that is the JSON-LD ``dateModified`` (to the minute): the JSON-LD, the tag
      names the last edit;
    * else the tag: the header the page shows and shares, which its CMS rewrites when the
      story is published again, where a JSON-LD block often keeps the first draft's date.
    """
    if abs(ld - tag) < _SAME_INSTANT:
        return (
            (tag, "meta") if ld.utcoffset() == _UTC and tag.utcoffset() != _UTC else (ld, "jsonld")
        )
    if ld.date() == tag.date() or (_TIME.search(ld_raw) and not _TIME.search(tag_raw)):
        return ld, "jsonld"
    if modified is not None and abs(modified - tag) < _SAME_INSTANT:
        return ld, "jsonld"
    return tag, "meta"


def url_date(url: str, *, tz: tzinfo | None, now: datetime | None) -> datetime | None:
    """The day a date in the URL's path names (``/2024/05/06/``, ``-20240506``), or None."""
    m = _URL_DATE.search(url)
    if not m:
        return None
    y, mo, d = next(m.group(i, i + 1, i + 2) for i in (1, 4, 7) if m.group(i))
    return parse_date(f"{y}-{int(mo):02d}-{int(d):02d}", tz=tz, now=now)


def authors(meta: PageMeta, doc: HtmlElement, site: str | None) -> tuple[str, ...]:
    """JSON-LD authors, else meta authors, else visible bylines; a byline naming people
    wins over a JSON-LD/meta author that is only the site itself."""
    index = jsonld.by_id(meta.blocks)
    found = jsonld.names(meta.article.get("author") or meta.article.get("creator"), index)
    if not found:
        for key in _AUTHOR_META:
            for raw in meta.metas.get(key, ()):
                found.extend(split_names(raw))
            if found:
                break
    primary = clean_authors(found, site)
    if primary and not all(is_site(n, site) for n in primary):
        return primary
    visible = clean_authors(visible_bylines(doc, linked=bool(primary)), site)
    people = tuple(n for n in visible if not is_site(n, site))
    return people or primary or visible


def is_site(name: str, site: str | None) -> bool:
    if not site:
        return False
    a, b = name.casefold().replace(" ", ""), site.casefold().replace(" ", "")
    return a == b or a in b or b in a


def visible_bylines(doc: HtmlElement, *, linked: bool = False) -> list[str]:
    """Names in the innermost byline/author elements of the page (at most a few); with
    ``linked``, only links to an author page (one name per page linked)."""
    out: list[str] = []
    hrefs: set[str] = set()
    for el in doc.xpath(_BYLINE_XPATH)[:30]:
        if el.xpath(_BYLINE_INNER) or el.xpath("ancestor::a[contains(@class,'comment')]"):
            continue
        if linked:
            link = el if el.tag == "a" else next(iter(el.xpath("ancestor::a[@href]")), None)
            href = link.get("href", "") if link is not None else ""
            if not _AUTHOR_HREF.search(href) or href in hrefs:
                continue
            hrefs.add(href)
        text = fold(el.text_content())
        if 2 < len(text) <= 60 and not any(c.isdigit() for c in text):
            out.extend(split_names(text))
        if len(out) >= 6:
            break
    return out


def body_byline(doc: HtmlElement, body: list[str]) -> list[str]:
    """A name set in bold as the body's first or last paragraph ("**Jane Roe**")."""
    ends = {p for p in (body[:1] + body[-1:]) if 2 < len(p) <= 80 and _NAME_LINE.match(p)}
    if not ends:
        return []
    for para in doc.xpath("//p[strong or b]"):
        text = fold(para.text_content())
        if (
            text in ends
            and fold(" ".join(b.text_content() for b in para.xpath("strong|b"))) == text
        ):
            return split_names(text.replace("/", ","))
    return []


def split_names(raw: str) -> list[str]:
    text = _BYLINE_PREFIX.sub("", fold(raw))
    if not text:
        return []
    parts = _NAME_SEPARATOR.split(text)
    return [p for p in (fold(p) for p in parts) if p]


def clean_authors(names: list[str], site: str | None) -> tuple[str, ...]:
    out: list[str] = []
    for raw in names:
        for name in _CONJUNCTION.split(raw) if _CONJUNCTION.search(raw) else [raw]:
            name = person(_BYLINE_PREFIX.sub("", fold(name))) or ""
            if not name or len(name) > 80 or name.startswith(_NOT_A_NAME) or ":" in name:
                continue
            if _SOCIAL.search(name) and "." in name:
                continue
            if name.casefold() not in {n.casefold() for n in out}:
                out.append(name)
    return tuple(out)


def tags(meta: PageMeta) -> tuple[str, ...]:
    values: list[str] = list(meta.metas.get("article:tag", ()))
    keywords = meta.article.get("keywords")
    if not values and keywords:
        values = keywords if isinstance(keywords, list) else str(keywords).split(",")
    if not values:
        raw = meta.first("news_keywords", "keywords")
        values = raw.split(",") if raw else []
    out: list[str] = []
    for v in values:
        if isinstance(v, str):
            for part in v.split(",") if len(values) == 1 else [v]:
                t = fold(part)
                if t and t not in out and len(t) <= 80:
                    out.append(t)
    return tuple(out[:50])


def section(meta: PageMeta) -> str | None:
    return meta.first("article:section") or jsonld.text(meta.article.get("articleSection"))


def paywalled(meta: PageMeta) -> bool:
    value = meta.article.get("isAccessibleForFree")
    if isinstance(value, str):
        return value.strip().lower() == "false"
    return value is False


def language_hint(meta: PageMeta) -> str | None:
    for value in (
        meta.html_lang,
        jsonld.text(meta.article.get("inLanguage")),
        meta.first("content-language", "language", "og:locale", "dc.language"),
    ):
        if value:
            code = value.replace("_", "-").split("-")[0].strip().lower()
            if _LANGUAGE_CODE.fullmatch(code):
                return code
    return None
