"""``archiver search`` on a PostgreSQL archive: the same query language, analyzer and results.

The query is parsed as on SQLite (``search.query``) into its FTS5 expression over the
analyzer's terms, which ``tsquery`` turns, operator for operator, into a ``tsquery``: a
quoted phrase -> its terms joined by ``<->`` (a trailing ``*`` -> ``:*``), ``title :`` ->
weight ``A`` (the title's terms), AND -> ``&``, OR -> ``|``, NOT -> ``& !``. It is matched
against ``articles_search.tsv`` (GIN) and ranked by ``ts_rank`` with the title weighted above
the lead and the lead above the body; the cluster collapse and snippets are the SQLite
engine's own, so both backends return the same stories for the same archive.

``ts_rank`` reads the whole ``tsvector`` of a row (kilobytes, out of line), so ranking every
match of a common word costs in proportion to the archive. A relevance search therefore ranks
the ``RANK_WINDOW`` most recently archived matches (highest ids): all of them when there are
fewer, which is every query but a few very common words; for those the planner walks the
archive backwards and stops at the window, so the cost stays the same at any size.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import psycopg

from archiver.errors import QueryError, StoreError
from archiver.models import SearchHit
from archiver.search import engine
from archiver.search.query import Query, parse_query
from archiver.store.searchindex import languages

RANK = "ts_rank('{0.0, 0.1, 0.3, 1.0}', s.tsv, q.q)"  # D, C (body), B (lead), A (title)
#: a relevance search ranks at most this many matches: the most recently archived
RANK_WINDOW = 10_000
_TOKEN_RE = re.compile(r'\s*(?:"((?:[^"]|"")*)"|(\()|(\))|(\*)|(:)|([^\s()":*]+))')


def tsquery(match: str) -> str:
    """The tsquery text of an FTS5 MATCH expression as ``search.query`` writes it."""
    tokens: list[tuple[str, str]] = []
    pos = 0
    while pos < len(match):
        m = _TOKEN_RE.match(match, pos)
        if m is None or m.end() == pos:
            if match[pos:].strip():
                raise QueryError(f"cannot read the query at {match[pos : pos + 20]!r}")
            break
        pos = m.end()
        phrase, opening, closing, star, colon, word = m.groups()
        if phrase is not None:
            tokens.append(("phrase", phrase.replace('""', '"')))
        elif opening:
            tokens.append(("(", opening))
        elif closing:
            tokens.append((")", closing))
        elif star:
            tokens.append(("*", star))
        elif colon:
            tokens.append((":", colon))
        elif word in ("AND", "OR", "NOT"):
            tokens.append((word, word))
        elif word is not None:
            tokens.append(("phrase", word))
    parser = _Parser(tokens)
    out = parser.expression()
    if parser.pos != len(tokens):
        raise QueryError("cannot read the query: unbalanced brackets or operators")
    return out


def _lexeme(term: str, weight: str, prefix: bool) -> str:
    quoted = "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"
    label = ("*" if prefix else "") + weight
    return f"{quoted}:{label}" if label else quoted


class _Parser:
    """OR < AND < NOT, as in FTS5; a column filter applies to the term or group after it."""

    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens, self.pos = tokens, 0

    def _peek(self) -> str | None:
        return self.tokens[self.pos][0] if self.pos < len(self.tokens) else None

    def _take(self, kind: str) -> str:
        if self._peek() != kind:
            raise QueryError(f"cannot read the query: expected {kind}")
        self.pos += 1
        return self.tokens[self.pos - 1][1]

    def expression(self, weight: str = "") -> str:
        parts = [self._and(weight)]
        while self._peek() == "OR":
            self.pos += 1
            parts.append(self._and(weight))
        return parts[0] if len(parts) == 1 else "(" + " | ".join(parts) + ")"

    def _and(self, weight: str) -> str:
        parts = [self._not(weight)]
        while self._peek() in ("AND", "phrase", "("):
            if self._peek() == "AND":
                self.pos += 1
            parts.append(self._not(weight))
        return parts[0] if len(parts) == 1 else "(" + " & ".join(parts) + ")"

    def _not(self, weight: str) -> str:
        out = self._primary(weight)
        while self._peek() == "NOT":
            self.pos += 1
            out = f"({out} & !{self._primary(weight)})"
        return out

    def _primary(self, weight: str) -> str:
        kind = self._peek()
        if kind == "(":
            self.pos += 1
            inner = self.expression(weight)
            self._take(")")
            return inner
        if kind != "phrase":
            raise QueryError("cannot read the query: a term was expected")
        text = self._take("phrase")
        if self._peek() == ":" and text == "title":
            self.pos += 1
            return self._primary("A")
        prefix = self._peek() == "*"
        if prefix:
            self.pos += 1
        terms = text.split()
        if not terms:
            raise QueryError("cannot read the query: an empty phrase")
        lexemes = [_lexeme(t, weight, prefix and i == len(terms) - 1) for i, t in enumerate(terms)]
        return lexemes[0] if len(lexemes) == 1 else "(" + " <-> ".join(lexemes) + ")"


def _sql(
    conn: Any,
    text: str,
    raw: bool,
    source: Sequence[str],
    since: datetime | None,
    until: datetime | None,
    lang: str | None,
) -> tuple[Query, str, str, list[object]]:
    """The parsed query, its FROM … WHERE over ``a`` (and ``s``, ``q``), and its params."""
    held = [lang.strip().lower()] if lang else languages(conn)
    query = parse_query(text, raw=raw, languages=held)
    where, params = engine._filters(query, source, since, until, lang)
    where = where.replace(" AND 0", " AND false")
    if query.is_empty:
        return query, "FROM articles a WHERE true", where, params
    from_ = (
        "FROM articles_search s JOIN articles a ON a.id = s.rowid,"
        " (SELECT ?::tsquery AS q) q WHERE s.tsv @@ q.q"
    )
    return query, from_, where, [tsquery(query.match), *params]


def ranked(from_: str, where: str, window: int | None = None) -> str:
    """The relevance query over ``from_``/``where`` (``_sql``): the ``window`` most recently
    archived matches, ranked by ``ts_rank``; (id, score) rows, best first."""
    limit = RANK_WINDOW if window is None else window
    newest = f"SELECT a.id, q.q {from_}{where} ORDER BY a.id DESC LIMIT {int(limit)}"
    rank = RANK.replace("q.q", "c.q")
    return (
        f"SELECT c.id, -{rank} AS score FROM ({newest}) c"
        " JOIN articles_search s ON s.rowid = c.id ORDER BY score, c.id"
    )


def _errors(exc: psycopg.Error, raw: bool) -> Exception:
    if isinstance(exc, psycopg.errors.SyntaxError | psycopg.errors.InvalidTextRepresentation):
        hint = "invalid query" if raw else "cannot run this query; try fewer symbols"
        return QueryError(f"{hint}: {str(exc).strip().splitlines()[0]}")
    return StoreError(f"cannot read the archive: {str(exc).strip().splitlines()[0]}")


def search(
    url: str,
    text: str,
    *,
    raw: bool = False,
    source: Sequence[str] = (),
    since: datetime | None = None,
    until: datetime | None = None,
    lang: str | None = None,
    limit: int = 20,
    sort: str = "relevance",
    all_versions: bool = False,
) -> list[SearchHit]:
    """``search.engine.search`` on the PostgreSQL archive at ``url``."""
    from archiver.store.pg.core import PgStore

    with PgStore(url, readonly=True) as store:
        conn = store.conn
        try:
            query, from_, where, params = _sql(conn, text, raw, source, since, until, lang)
            newest = " ORDER BY a.published DESC NULLS LAST, a.id DESC"
            if query.is_empty or sort == "newest":
                sql = f"SELECT a.id, NULL {from_}{where}{newest}"
            else:
                sql = ranked(from_, where)
            rows = engine._collapse(conn, sql, params, query, limit, all_versions)
            texts = engine._texts(conn, [row[0] for row in rows], query)
        except psycopg.Error as exc:
            raise _errors(exc, raw) from None
    hits = []
    for row in rows:
        title, lead, body, language = texts.get(row[0], (None, None, None, None))
        hits.append(
            SearchHit(
                id=row[0],
                url=row[1],
                source=row[2],
                title=row[3],
                published=engine._published(row[4]),
                language=row[5],
                cluster_id=row[6],
                rank=None if row[7] is None else float(row[7]),
                snippet=engine._snippet(query, title, lead, body, language),
            )
        )
    return hits


def count(
    url: str,
    text: str,
    *,
    raw: bool = False,
    source: Sequence[str] = (),
    since: datetime | None = None,
    until: datetime | None = None,
    lang: str | None = None,
) -> list[tuple[str, int]]:
    """``search.engine.count`` on the PostgreSQL archive at ``url``."""
    from archiver.store.pg.core import PgStore

    with PgStore(url, readonly=True) as store:
        conn = store.conn
        try:
            _, from_, where, params = _sql(conn, text, raw, source, since, until, lang)
            sql = (
                f"SELECT a.source, count(*) {from_}{where}"
                " GROUP BY a.source ORDER BY count(*) DESC, a.source"
            )
            rows = conn.execute(sql, params).fetchall()
        except psycopg.Error as exc:
            raise _errors(exc, raw) from None
    return [(name if name is not None else "(none)", int(n)) for name, n in rows]
