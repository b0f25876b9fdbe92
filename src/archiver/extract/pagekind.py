"""Pages that are not articles: soft-404s, video-only pages, section (index) pages.

The pipeline does not archive them; the extractor says which kind a page is instead of
raising, so the caller can log what it skipped.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from archiver.extract import jsonld
from archiver.extract.metadata import PageMeta
from archiver.models import PageKind

_NOT_FOUND = re.compile(
    r"\b(?:404|page not found|not found|page (?:does not|doesn't) exist|no longer available|"
    r"seite nicht gefunden|página no encontrada|page introuvable|страница не найдена|"
    r"ошибка 404)\b",
    re.IGNORECASE,
)
_SECTION_PATH = re.compile(r"^/?(?:[a-z-]++/?){0,2}$")


def page_kind(
    meta: PageMeta, h1: str, url: str, title: str | None, body_words: int, published: bool
) -> PageKind:
    """ "article", "not_found", "video" or "section" (``h1``: the page's first <h1> text)."""
    heads = " ".join(x for x in (title, h1, meta.head_title) if x)
    if body_words < 150 and _NOT_FOUND.search(heads[:300]):
        return "not_found"
    og_type = (meta.first("og:type") or "").lower()
    has_article = bool(meta.article) or og_type == "article"
    if body_words < 120 and (og_type.startswith("video") or jsonld.video_only(meta.blocks)):
        return "video"
    if has_article or published:
        return "article"
    path = urlsplit(url).path if url else ""
    if body_words < 120 or (
        og_type == "website" and _SECTION_PATH.match(path) and not re.search(r"\d", path)
    ):
        return "section"
    return "article"
