"""extract(): decode, parse once, pick the site rule, metadata, body, dateline -> Article."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

import lxml.html
from lxml import etree

from archiver.errors import ParseError
from archiver.extract import boilerplate, generic, headline, metadata, siterule
from archiver.extract.dateline import dateline_reporters, parse_dateline
from archiver.extract.dates import on_url_day, republished, zone
from archiver.extract.decode import decode_html
from archiver.extract.language import language, page_language
from archiver.extract.limits import cap_attributes, cap_depth, without_controls
from archiver.extract.localtime import site_clock
from archiver.extract.pagedate import htmldate_published, original_url
from archiver.extract.pagekind import page_kind
from archiver.extract.rules import SiteRule, choose_rule
from archiver.extract.text import element_text, word_count
from archiver.models import Article

MAX_CHARS = 20_000_000  # decoded characters parsed from one page
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
_PARSER = lxml.html.HTMLParser(remove_comments=True, huge_tree=True)


def extract(
    html: bytes | str,
    url: str,
    *,
    charset: str | None = None,
    rules: Sequence[SiteRule] | None = None,
    now: datetime | None = None,
) -> Article:
    """One article page -> Article. Raises only ParseError (and its subclasses)."""
    try:
        return _extract(html, url, charset=charset, rules=rules, now=now)
    except ParseError:
        raise
    except RecursionError:
        raise ParseError(f"{url}: page nested too deeply to extract") from None
    except MemoryError:
        raise ParseError(f"{url}: page too large to extract") from None
    except Exception as exc:  # the contract: bad input is a ParseError, never a crash
        raise ParseError(f"{url}: cannot extract: {type(exc).__name__}: {exc}") from exc


def parse_html(text: str) -> lxml.html.HtmlElement:
    """The lxml tree of a page (the one parse extraction makes), within the limits of
    ``limits.py`` (attributes per tag, nesting depth)."""
    text = cap_attributes(without_controls(_XML_DECL.sub("", text[:MAX_CHARS], count=1)))
    if not text.strip():
        raise ParseError("empty page")
    try:
        doc = lxml.html.document_fromstring(text, parser=_PARSER)
    except (etree.ParserError, ValueError) as exc:
        raise ParseError(f"not an HTML page: {exc}") from None
    if doc is None or not isinstance(doc.tag, str):
        raise ParseError("not an HTML page")
    cap_depth(doc)
    return doc


def _extract(
    html: bytes | str,
    url: str,
    *,
    charset: str | None,
    rules: Sequence[SiteRule] | None,
    now: datetime | None,
) -> Article:
    text, encoding = decode_html(html, charset)
    doc = parse_html(text)
    page_url = original_url(url)  # a web-archive copy is dated by its original's URL
    meta = metadata.gather(doc)
    canonical = metadata.canonical_url(meta)
    rule = choose_rule(rules, page_url, canonical, meta.first("og:url"))
    tz = zone(rule.timezone) if rule else None
    site = metadata.site_name(meta)
    h1 = next((t for t in (element_text(h) for h in doc.iter("h1")) if t), "")

    title = (siterule.first_text(doc, rule.title) if rule else None) or headline.title(
        meta, doc, site
    )
    lead = siterule.first_text(doc, rule.lead) if rule and rule.lead else None
    published = siterule.first_date(doc, rule.published, tz, now) if rule else None
    published_from = "rule" if published else None
    if published is None:
        published, published_from = metadata.dated(
            meta, doc, page_url, which="published", tz=tz, now=now
        )
    if published is not None and published_from in ("jsonld", "meta"):
        url_day = metadata.url_date(page_url, tz=tz, now=now)
        if republished(published, url_day):  # the URL keeps the first publication's day
            published, published_from = url_day, "url"
        else:  # a UTC time on the local day the URL or the page's own clock shows
            published = site_clock(on_url_day(published, url_day), text)
    if published_from in (None, "time", "url"):  # nothing structured: ask htmldate
        found = htmldate_published(doc, page_url, tz=tz, now=now, size=len(text))
        if found is not None and not (published and published.date() == found.date()):
            published, published_from = found, "htmldate"
    updated = siterule.first_date(doc, rule.updated, tz, now) if rule else None
    updated_from = "rule" if updated else None
    if updated is None:
        updated, updated_from = metadata.dated(meta, doc, page_url, which="updated", tz=tz, now=now)
    authors = tuple(
        a
        for t in (siterule.all_texts(doc, rule.authors) if rule else [])
        for a in metadata.split_names(t)
    )
    authors = metadata.clean_authors(list(authors), site) or metadata.authors(meta, doc, site)
    tags = tuple(siterule.all_texts(doc, rule.tags)) if rule and rule.tags else ()
    tags = tags or metadata.tags(meta)

    body: list[str] = []
    extractor = "generic"
    if rule and rule.body:
        body = siterule.body_paragraphs(doc, rule.body, rule.drop)
        extractor = f"rule:{rule.name}"
    if lead is None and not (rule and rule.lead):
        lead = headline.lead(meta, doc, title)
    if not body:
        json_body = generic.json_ld_body(meta.article, doc)
        if json_body:
            body, extractor = json_body, "jsonld"
        else:
            body = generic.trafilatura_body(doc, url, page_language(meta, doc))
            extractor = "generic"
    body = boilerplate.strip(generic.clean(body), rule.name if rule else None)
    if body and title and body[0] == title:
        body = body[1:]
    if lead is None and body and not (rule and rule.lead):
        lead = headline.lead_from_first_paragraph(meta, body[0])

    if lead:  # screen-reader labels inside the lead go too; a promo is no lead
        lead = next(iter(boilerplate.strip([lead], rule.name if rule else None)), None)
    if body and (not authors or all(metadata.is_site(a, site) for a in authors)):
        authors = metadata.clean_authors(metadata.body_byline(doc, body), site) or authors
    if body and (not authors or all(metadata.is_site(a, site) for a in authors)):
        authors = dateline_reporters(body[0]) or authors  # Yonhap: "김철수 기자 ="
    agency = rule.agency if rule else None
    dateline = parse_dateline(body[0] if body else None, agency=agency, has_more=len(body) > 1)
    body_text = "\n\n".join(body)
    words = word_count(body_text)  # a CJK character counts as a word
    return Article(
        url=url,
        title=title,
        body=body_text,
        lead=lead,
        dateline=dateline,
        published=published,
        published_from=published_from,
        updated=updated,
        updated_from=updated_from,
        authors=authors,
        tags=tags,
        section=metadata.section(meta),
        language=language(meta, body_text),
        canonical_url=canonical,
        site_name=site,
        agency=agency or (dateline.agency if dateline else None),
        paywalled=metadata.paywalled(meta),
        extractor=extractor,
        # a date htmldate guessed from the page's text is no evidence that it is an article
        page_kind=page_kind(
            meta, h1, url, title, words, published is not None and published_from != "htmldate"
        ),
        encoding=encoding,
    )
