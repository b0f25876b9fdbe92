"""SQL functions that let any connection (Datasette's) search exactly as ``archiver search``.

``register_functions(conn)`` adds, on that connection:

* ``archiver_match(query)``: what a user typed -> the FTS5 MATCH expression over the analyzed
  index ``articles_search``, analyzed in the languages the archive holds (read from the same
  connection at each call, so languages the daemon adds are seen at once); a query that
  cannot be searched gives an expression that matches nothing, never an SQL error;
* ``archiver_snippet(query, title, lead, body, language)``: the snippet ``archiver search``
  prints, the matched words between ``[`` and ``]``.
"""

from __future__ import annotations

import sqlite3

from archiver.errors import QueryError
from archiver.search.query import Query, parse_query
from archiver.search.snippets import HL_END, HL_START, make_snippet
from archiver.store.searchindex import languages

NOTHING = '""'  # an FTS5 expression that is valid and matches no row


def _parse(conn: sqlite3.Connection, text: str | None) -> Query | None:
    try:
        return parse_query(text or "", languages=languages(conn))
    except QueryError:
        return None


def match_expression(conn: sqlite3.Connection, text: str | None) -> str:
    """The FTS5 expression for ``text`` on this archive (``NOTHING`` when it has none)."""
    query = _parse(conn, text)
    return (query.match if query is not None else "") or NOTHING


def passage(
    conn: sqlite3.Connection,
    text: str | None,
    title: str | None,
    lead: str | None,
    body: str | None,
    language: str | None,
) -> str | None:
    """The passage of one article that matches ``text``, the matched words between
    ``HL_START`` and ``HL_END`` (what ``archiver search`` shows)."""
    query = _parse(conn, text)
    if query is None or query.is_empty:
        return None
    for field in (body, lead, title):
        found = make_snippet(field, language, query.highlight, query.prefixes)
        if found:
            return found
    return None


def snippet_text(
    conn: sqlite3.Connection,
    text: str | None,
    title: str | None,
    lead: str | None,
    body: str | None,
    language: str | None,
) -> str | None:
    """The snippet of one article for ``text``, matches between ``[`` and ``]``."""
    found = passage(conn, text, title, lead, body, language)
    return found.replace(HL_START, "[").replace(HL_END, "]") if found else None


def register_functions(conn: sqlite3.Connection) -> None:
    """Register ``archiver_match`` and ``archiver_snippet`` on ``conn``."""

    def archiver_match(text: str | None) -> str:
        return match_expression(conn, text)

    def archiver_snippet(
        text: str | None,
        title: str | None,
        lead: str | None,
        body: str | None,
        language: str | None,
    ) -> str | None:
        return snippet_text(conn, text, title, lead, body, language)

    conn.create_function("archiver_match", 1, archiver_match)
    conn.create_function("archiver_snippet", 5, archiver_snippet)
