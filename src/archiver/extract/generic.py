"""The body of a page no rule covers.

1. JSON-LD ``articleBody``, when it is plausible: long enough, not cut short, and its start
   is visible on the page (so it is the article, not a teaser);
2. else trafilatura on the already-parsed tree (no second parse, no metadata pass); where
   trafilatura falls back to justext, justext counts the stop words of the page's language
   only (trafilatura's default is the union of justext's 100 lists: 154,000 words, ~30 MB
   resident in every process that extracts);
3. then boilerplate lines are removed (read-more and share prompts, newsletter pleas).
"""

from __future__ import annotations

import html
import re
import threading
from functools import lru_cache
from typing import Any

import trafilatura
import trafilatura.external
from justext.utils import get_stoplist
from lxml.html import HtmlElement
from trafilatura.settings import JUSTEXT_LANGUAGES

from archiver.extract import jsonld
from archiver.extract.text import element_text, fold

# a whole line that is only a prompt or a label
_PROMPT = re.compile(
    r"^(?:share(?: this(?: article| story)?)?|share on \w+|follow us(?: on \w+)?|sign up|"
    r"subscribe(?: now)?|advertisement|anzeige|werbung|weiterlesen|click here|copy link|"
    r"link copied|url is copied|print|comments?|реклама|all news|read more)[\s:.!…>»|-]*$",
    re.IGNORECASE,
)
# a teaser for another story: "Read more: <headline>"
_TEASER = re.compile(
    r"^(?:read more|read also|also read|see also|related|more on this|lesen sie auch|"
    r"mehr zum thema|читайте также|смотрите также)\s*[:»>|-].{0,120}$",
    re.IGNORECASE,
)
# an entity left in the text: the CMS escaped its markup twice ("&amp;quot;" -> "&quot;")
_ENTITY = re.compile(r"&(?:[a-zA-Z]{2,8}\d{0,2}|#[0-9]{2,6}|#[xX][0-9a-fA-F]{2,5});")
MIN_ARTICLE_BODY = 400
SHORT_LINE_WORDS = 10  # a line this short may repeat: a label, not a duplicated paragraph


def json_ld_body(article: dict[str, Any], doc: HtmlElement) -> list[str] | None:
    raw = article.get("articleBody")
    if not isinstance(raw, str) or len(raw) < MIN_ARTICLE_BODY:
        return None
    body = jsonld.text(raw.replace("\n", " \ue000 ")) or ""
    if body.endswith(("...", "…")):
        return None
    head = fold(body.replace("\ue000", " "))[:60]
    if not any(head[:40] in element_text(p) for p in doc.iter("p")):
        return None
    lines = [fold(x) for x in body.split("\ue000")]
    return [x for x in lines if x]


# justext has no list for the language (Chinese, Japanese...): no word is a stop word (a
# space never is a word; an empty list would make trafilatura load every list)
_NO_STOP_WORDS = frozenset({" "})
# trafilatura reads the stop list justext uses from a module global: one extraction at a time
# sets it (uncontended in an extraction worker, which extracts on one thread)
_STOPLIST_LOCK = threading.Lock()


@lru_cache(maxsize=16)
def justext_stoplist(language: str | None) -> frozenset[str]:
    """justext's stop words of ``language`` (ISO 639-1), or none when it has no list for it."""
    name = JUSTEXT_LANGUAGES.get(language or "")
    return get_stoplist(name) if name else _NO_STOP_WORDS


def trafilatura_body(doc: HtmlElement, url: str, language: str | None = None) -> list[str]:
    """Paragraphs trafilatura finds in the tree (which it changes: call it last); ``language``
    picks justext's stop list where trafilatura falls back to justext."""
    stoplist = justext_stoplist(language)
    try:
        with _STOPLIST_LOCK:
            trafilatura.external.JT_STOPLIST = stoplist  # type: ignore[assignment]
            result = trafilatura.bare_extraction(
                doc,
                url=url,
                with_metadata=False,
                include_comments=False,
                include_tables=True,
                include_images=False,
                include_links=False,
                deduplicate=False,
            )
    except (ValueError, TypeError, AttributeError, RecursionError, IndexError, KeyError):
        return []
    if result is None:
        return []
    text = getattr(result, "text", None)
    if text is None and isinstance(result, dict):
        text = result.get("text")
    return [fold(line) for line in str(text or "").split("\n") if fold(line)]


def unescape(text: str) -> str:
    """``text`` with the entities a twice-escaped page leaves in it decoded (once)."""
    return fold(html.unescape(text)) if _ENTITY.search(text) else text


def clean(paragraphs: list[str]) -> list[str]:
    """Drop boilerplate lines and repeated paragraphs (a block the page renders twice);
    short lines may repeat (a recipe's or a schedule's labels: "Meal 2", "Serves 4").
    Entities left by double escaping are decoded."""
    out: list[str] = []
    seen: set[str] = set()
    for para in map(unescape, paragraphs):
        if _PROMPT.match(para) or _TEASER.match(para):
            continue
        if para in seen and len(para.split()) > SHORT_LINE_WORDS:
            continue
        seen.add(para)
        out.append(para)
    return out
