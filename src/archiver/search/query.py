"""The query language of ``archiver search``: what people type -> an FTS5 MATCH expression.

Pure: no I/O, no SQL execution. The language, after the usual web search box:

Words and phrases go through ``archiver.search.analyzer`` once for each language the archive
holds (``languages``), so ``переговоры`` finds ``переговорах`` and ``外交部`` is found inside
running Chinese text; the alternatives are OR-ed. ``match`` is an expression over the analyzed
index (``articles_search``); ``highlight`` says which index terms to mark in snippets.

* ``word word``        every word must match (anywhere in title, lead or body)
* ``"exact phrase"``   the words in this order (an unclosed quote runs to the end)
* ``-word``            exclude (``-"a phrase"``, ``-title:word`` too)
* ``a OR b``           either; OR binds tighter than the implicit AND: ``x a OR b`` = x (a OR b)
* ``word*``            prefix (``"a phrase"*`` too)
* ``title:word``       in the title only (``title:"a phrase"``, ``title:word*``)
* ``source:name``      only that source (several ``source:`` filters: any of them)

Everything else is plain words: ``AND``, ``NOT``, ``NEAR``, lowercase ``or``, brackets,
``^``, ``:``, stray quotes and operators. Every term reaches FTS5 as a quoted string of analyzed
terms, so no input can break its syntax; control characters, NUL and lone surrogates are
removed first. Terms that hold no letter or digit (``(``, ``🙂``, ``--``) are dropped.
A phrase is exact: its words as written, in this order and adjacent (case and diacritics
folded), matched against the index's exact section; a bare word is matched by its dictionary
form and stem, so it finds every inflected form.

``raw=True`` passes FTS5 syntax through untouched for experts; SQLite's errors on it are turned
into ``QueryError`` by the search module.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from archiver.errors import QueryError
from archiver.search.analyzer import alternatives, exact_alternatives, prefix_alternatives

MAX_TERMS = 64
MAX_LENGTH = 2000

_FIELDS = ("title", "source")
_FIELD_RE = re.compile(r"(title|source):", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed query. ``match`` is the FTS5 MATCH expression ("" when only filters were given)."""

    match: str
    sources: tuple[str, ...] = ()
    exclude_sources: tuple[str, ...] = ()
    title_terms: tuple[str, ...] = ()  # the title: terms, already folded into ``match``
    raw: bool = False
    #: the index term sequences a snippet marks (each a phrase), and prefixes of terms
    highlight: tuple[tuple[str, ...], ...] = ()
    prefixes: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        """True when there is nothing for FTS5 to match (a query of ``source:`` filters only)."""
        return not self.match


@dataclass(frozen=True, slots=True)
class _Term:
    text: str
    phrase: bool = False
    prefix: bool = False
    field: str | None = None
    negated: bool = False
    is_or: bool = False  # a bare OR typed between two terms

    def readings(self, languages: tuple[str | None, ...]) -> tuple[tuple[str, ...], ...]:
        """The index term sequences this term stands for (one per language reading); a
        quoted phrase's are its words as written (the exact section)."""
        if self.phrase:
            return exact_alternatives(self.text, languages)
        found = alternatives(self.text, languages)
        if self.prefix:
            found = found[:1] + prefix_alternatives(self.text, languages)
        return found

    def fts(self, languages: tuple[str | None, ...]) -> str:
        parts = []
        for i, phrase in enumerate(self.readings(languages)):
            quoted = _quote(" ".join(phrase))
            parts.append(quoted + " *" if self.prefix and i == 0 else quoted)
        expression = _or(parts)
        if self.field == "title":
            expression = "title : " + expression
        return expression


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def normalise(text: str) -> str:
    """NFC, with control/format characters and lone surrogates turned into spaces."""
    text = unicodedata.normalize("NFC", text.replace("\x00", " "))
    out = []
    for ch in text:
        category = unicodedata.category(ch)
        if category in ("Cc", "Cs") or category.startswith("Z"):
            out.append(" ")
        elif category == "Cf":
            continue  # zero-width and bidi marks: invisible, never part of a word
        else:
            out.append(ch)
    return "".join(out)


def _lex(text: str) -> list[_Term]:
    terms: list[_Term] = []
    pos, end = 0, len(text)
    while pos < end:
        if text[pos].isspace():
            pos += 1
            continue
        negated = False
        if text[pos] == "-" and pos + 1 < end and not text[pos + 1].isspace():
            negated = True
            pos += 1
        field = None
        m = _FIELD_RE.match(text, pos)
        if m and m.end() < end and not text[m.end()].isspace():
            field = m.group(1).lower()
            pos = m.end()
        if text[pos] == '"':
            close = text.find('"', pos + 1)
            close = end if close == -1 else close
            body, pos = text[pos + 1 : close], close + 1
            prefix = pos < end and text[pos] == "*"
            if prefix:
                pos += 1
            terms.append(_Term(body, phrase=True, prefix=prefix, field=field, negated=negated))
            continue
        start = pos
        while pos < end and not text[pos].isspace() and text[pos] != '"':
            pos += 1
        word = text[start:pos]
        if word == "OR" and not negated and field is None:
            terms.append(_Term(word, is_or=True))
            continue
        prefix = word.endswith("*")
        terms.append(_Term(word.strip("*"), prefix=prefix, field=field, negated=negated))
    return terms


def _groups(terms: list[_Term]) -> list[list[_Term]]:
    """Positive terms as AND-ed groups of OR-ed alternatives. A stray OR becomes a word."""
    groups: list[list[_Term]] = []
    pending_or = False
    for i, term in enumerate(terms):
        if term.is_or:
            joins = (
                groups
                and not pending_or
                and i + 1 < len(terms)
                and not terms[i + 1].negated
                and not terms[i + 1].is_or
            )
            if joins:
                pending_or = True
                continue
            term = _Term("OR")
        if term.negated:
            continue
        if pending_or:
            groups[-1].append(term)
            pending_or = False
        else:
            groups.append([term])
    return groups


def _or(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"


def parse_query(text: str, *, raw: bool = False, languages: Iterable[str | None] = ()) -> Query:
    """Parse what a user typed. Raises ``QueryError`` (one line) when nothing can be searched."""
    if len(text) > MAX_LENGTH:
        raise QueryError(f"query too long ({len(text)} characters, at most {MAX_LENGTH})")
    if raw:
        match = normalise(text).strip()
        if not match:
            raise QueryError("empty query: type some words to search for")
        return Query(match=match, raw=True)

    sources: list[str] = []
    exclude_sources: list[str] = []
    searchable: list[_Term] = []
    for term in _lex(normalise(text)):
        if term.field == "source":
            name = term.text.strip()
            if name:
                (exclude_sources if term.negated else sources).append(name)
        elif term.is_or or alternatives(term.text, ()):
            searchable.append(term)
    groups = [g for g in _groups(searchable) if g]
    negatives = [t for t in searchable if t.negated]
    if len(searchable) > MAX_TERMS:
        raise QueryError(f"too many search terms ({len(searchable)}, at most {MAX_TERMS})")
    if not groups:
        if negatives:
            raise QueryError(
                "add a word to look for: a query cannot be made only of exclusions (-word)"
            )
        if not sources:
            raise QueryError("empty query: type some words to search for")
    langs = tuple(dict.fromkeys(languages))
    # explicit AND: FTS5 rejects an implicit AND next to a bracketed group
    positive = " AND ".join(_or([t.fts(langs) for t in g]) for g in groups)
    match = positive
    if positive and negatives:
        match = f"({positive}) NOT {_or([t.fts(langs) for t in negatives])}"
    title_terms = tuple(t.text for t in searchable if t.field == "title" and not t.is_or)
    wanted = [t for g in groups for t in g]
    highlight = tuple(dict.fromkeys(p for t in wanted for p in t.readings(langs)))
    prefixes = tuple(
        dict.fromkeys(t.readings(langs)[0][-1] for t in wanted if t.prefix and t.readings(langs))
    )
    return Query(
        match=match,
        sources=tuple(dict.fromkeys(sources)),
        exclude_sources=tuple(dict.fromkeys(exclude_sources)),
        title_terms=title_terms,
        highlight=highlight,
        prefixes=prefixes,
    )
