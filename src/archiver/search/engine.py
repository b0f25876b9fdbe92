"""Reading the archive: full-text search, totals per source, --since/--until parsing.

The archive is opened read-only (``mode=ro``) with a busy timeout, so searching while the
daemon writes (WAL) never fails with "database is locked" and never writes anything.

Ranking is FTS5's bm25 with the title weighted above the lead and the lead above the body.
Results are collapsed to one hit per story cluster (``cluster_id``; NULL is its own cluster)
unless ``all_versions``. The index is ``articles_search``, the analyzer's terms (see
``archiver.store.searchindex``); the query is analyzed in each language the archive holds (or
only ``lang``). Snippets are cut from the stored text by ``archiver.search.snippets`` with
``HL_START``/``HL_END`` around what matched, inflected forms and CJK words included;
``archiver.cli.hits`` turns them into highlight or drops them.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from archiver.errors import QueryError, StoreError
from archiver.models import SearchHit
from archiver.search.query import Query, parse_query
from archiver.search.snippets import ELLIPSIS, HL_END, HL_START, SNIPPET_TOKENS, make_snippet
from archiver.store.readonly import connect_readonly
from archiver.store.searchindex import INDEX, languages, staleness

__all__ = ["HL_END", "HL_START", "SORTS", "count", "index_warning", "parse_when", "search"]

WEIGHTS = (10.0, 3.0, 1.0)  # bm25 weights of title, lead, body
SORTS = ("relevance", "newest")

_WEIGHTS = ", ".join(f"{w:.1f}" for w in WEIGHTS)
_RANK = f"bm25({_WEIGHTS})"  # for ``rank MATCH``
_BM25 = f"bm25({INDEX}, {_WEIGHTS})"  # as a column
_RELATIVE_RE = re.compile(r"^(\d{1,6})\s*(s|m|min|h|d|w|y)$")
_RELATIVE_UNITS = {
    "s": timedelta(seconds=1),
    "m": timedelta(minutes=1),
    "min": timedelta(minutes=1),
    "h": timedelta(hours=1),
    "d": timedelta(days=1),
    "w": timedelta(weeks=1),
    "y": timedelta(days=365),
}


def parse_when(text: str, now: datetime, *, end: bool = False) -> datetime:
    """A --since/--until value: ``7d``/``12h``/``30m``/``2w``/``1y`` ago, ``today``,
    ``yesterday``, ``2021``, ``2021-01``, ``2021-01-30`` or an ISO datetime (UTC unless it
    says otherwise). With ``end=True`` a date without a time means the end of that period
    (the start of the next day/month/year), so ``--until 2021-01-30`` includes that day.
    """
    value = " ".join(text.split()).lower()
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    m = _RELATIVE_RE.match(value)
    if m:
        try:
            return now - int(m.group(1)) * _RELATIVE_UNITS[m.group(2)]
        except OverflowError:
            raise QueryError(f"date too far back: {text!r}") from None
    midnight = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if value in ("today", "yesterday"):
        day = midnight - timedelta(days=1 if value == "yesterday" else 0)
        return day + timedelta(days=1) if end else day
    try:
        if re.fullmatch(r"\d{4}", value):
            year = int(value)
            return datetime(year + 1 if end else year, 1, 1, tzinfo=UTC)
        if re.fullmatch(r"\d{4}-\d{2}", value):
            year, month = int(value[:4]), int(value[5:])
            start = datetime(year, month, 1, tzinfo=UTC)
            if not end:
                return start
            return datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            day_start = datetime.fromisoformat(value).replace(tzinfo=UTC)
            return day_start + timedelta(days=1) if end else day_start
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}[t ][0-9:.,]+(z|[+-][0-9:]+)?", value):
            when = datetime.fromisoformat(value.upper().replace(" ", "T"))
            return when if when.tzinfo else when.replace(tzinfo=UTC)
    except (ValueError, OverflowError):
        pass
    raise QueryError(
        f"not a date: {text!r} (use 2021-01-30, 2021-01-30T09:00, 2021-01, 7d, 12h, 2w or today)"
    )


def _iso(when: datetime) -> str:
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return when.astimezone(UTC).isoformat()


def _filters(
    query: Query,
    source: Sequence[str],
    since: datetime | None,
    until: datetime | None,
    lang: str | None,
) -> tuple[str, list[object]]:
    """The WHERE conditions on ``a`` (articles) besides MATCH, and their parameters."""
    clauses: list[str] = []
    params: list[object] = []
    wanted = set(query.sources)
    if source:
        wanted = set(source) if not wanted else wanted & set(source)
        if not wanted:
            clauses.append("0")  # source: in the query and --source disagree
    if wanted:
        clauses.append(f"a.source IN ({','.join('?' * len(wanted))})")
        params.extend(sorted(wanted))
    if query.exclude_sources:
        marks = ",".join("?" * len(query.exclude_sources))
        clauses.append(f"coalesce(a.source, '') NOT IN ({marks})")
        params.extend(query.exclude_sources)
    if since is not None:
        clauses.append("a.published >= ?")
        params.append(_iso(since))
    if until is not None:
        clauses.append("a.published < ?")
        params.append(_iso(until))
    if lang:
        clauses.append("a.language = ?")
        params.append(lang.strip().lower())
    return "".join(f" AND {c}" for c in clauses), params


def _run(
    conn: sqlite3.Connection, sql: str, params: Sequence[object], query: Query
) -> list[tuple[Any, ...]]:
    try:
        return conn.execute(sql, params).fetchall()
    except sqlite3.OperationalError as exc:
        message = str(exc)
        if any(word in message for word in ("locked", "busy", "disk", "no such table")):
            raise StoreError(f"cannot read the archive: {message}") from exc
        if query.raw:
            raise QueryError(f"invalid FTS5 query: {message}") from exc
        raise QueryError(f"cannot run this query ({message}); try --raw or fewer symbols") from exc


def _published(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _lead_snippet(lead: str | None, body: str | None) -> str:
    words = (lead or body or "").split()
    text = " ".join(words[:SNIPPET_TOKENS])
    return text + (ELLIPSIS if len(words) > SNIPPET_TOKENS else "")


def _prepare(conn: sqlite3.Connection, text: str, raw: bool, lang: str | None) -> Query:
    """Parse ``text`` for this archive: analyzed in its languages (or only ``lang``)."""
    tables = {r[0] for r in _run(conn, "SELECT name FROM sqlite_master", (), Query(""))}
    if "articles" not in tables:
        raise StoreError("not an archiver archive (no such table: articles)")
    if INDEX not in tables:
        raise StoreError(
            "this archive has no search index yet: run `archiver poll` or `archiver run`"
            " once to bring it forward"
        )
    held = [lang.strip().lower()] if lang else languages(conn)
    return parse_query(text, raw=raw, languages=held)


def _postgres(archive: Path | str) -> str | None:
    """The PostgreSQL URL when ``archive`` names one (``[archive] url``), else None."""
    text = str(archive)
    return text if text.startswith(("postgresql://", "postgres://")) else None


def index_warning(db_path: Path | str) -> str | None:
    """Why a search of this archive may miss stories now (``searchindex.staleness``): an
    index still being built or built by another analyzer; None when it is current."""
    url = _postgres(db_path)
    if url is not None:
        from archiver.store.pg.core import PgStore

        with PgStore(url, readonly=True) as store:
            return staleness(store.conn)
    with connect_readonly(Path(db_path)) as conn:
        return staleness(conn)


def search(
    db_path: Path | str,
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
    """Search the archive; best first (or newest first), one hit per story unless all_versions.

    A query of ``source:`` filters only lists that source's articles, newest first.
    """
    if sort not in SORTS:
        raise QueryError(f"unknown sort {sort!r} (use {' or '.join(SORTS)})")
    if limit < 1:
        raise QueryError("--limit must be at least 1")
    parse_query(text, raw=raw)  # a friendly error before the archive is even opened
    url = _postgres(db_path)
    if url is not None:  # the same search in PostgreSQL's SQL (``store.pg.search``)
        from archiver.store.pg import search as pg

        return pg.search(
            url,
            text,
            raw=raw,
            source=source,
            since=since,
            until=until,
            lang=lang,
            limit=limit,
            sort=sort,
            all_versions=all_versions,
        )
    with connect_readonly(Path(db_path)) as conn:
        query = _prepare(conn, text, raw, lang)
        where, params = _filters(query, source, since, until, lang)
        # the ranked ids first (the FTS index only, plus the row when a filter needs it);
        # then the rows of the best few, collapsed per story; then snippets of the ones kept
        newest = " ORDER BY a.published DESC, a.id DESC"
        if query.is_empty:
            sql = f"SELECT a.id, NULL FROM articles a WHERE 1{where}{newest}"
        else:
            params = [query.match, *params]
            if sort == "newest":
                sql = (
                    f"SELECT a.id, NULL FROM {INDEX} JOIN articles a"
                    f" ON a.id = {INDEX}.rowid WHERE {INDEX} MATCH ?{where}{newest}"
                )
            elif where:  # FTS5 hands rows over best first: the join stops at LIMIT passing rows
                sql = (
                    f"SELECT a.id, {INDEX}.rank FROM {INDEX} JOIN articles a"
                    f" ON a.id = {INDEX}.rowid WHERE {INDEX} MATCH ?"
                    f" AND {INDEX}.rank MATCH '{_RANK}'{where} ORDER BY {INDEX}.rank"
                )
            else:  # bm25() sorted by SQLite's top-N sorter: cheaper than FTS5's ORDER BY rank
                sql = (
                    f"SELECT rowid, {_BM25} AS score FROM {INDEX}"
                    f" WHERE {INDEX} MATCH ? ORDER BY score"
                )
        rows = _collapse(conn, sql, params, query, limit, all_versions)
        texts = _texts(conn, [row[0] for row in rows], query)
    hits = []
    for row in rows:
        title, lead, body, language = texts.get(row[0], (None, None, None, None))
        hits.append(
            SearchHit(
                id=row[0],
                url=row[1],
                source=row[2],
                title=row[3],
                published=_published(row[4]),
                language=row[5],
                cluster_id=row[6],
                rank=row[7],
                snippet=_snippet(query, title, lead, body, language),
            )
        )
    return hits


def _details(
    conn: sqlite3.Connection, ranked: list[tuple[Any, ...]], query: Query
) -> list[tuple[Any, ...]]:
    """The rows of ``ranked`` (id, score) pairs, in that order, with the score appended."""
    if not ranked:
        return []
    marks = ",".join("?" * len(ranked))
    sql = (
        "SELECT a.id, a.url, a.source, a.title, a.published, a.language, a.cluster_id"
        f" FROM articles a WHERE a.id IN ({marks})"
    )
    found = {row[0]: row for row in _run(conn, sql, [r[0] for r in ranked], query)}
    return [(*found[i][:7], score) for i, score in ranked if i in found]


def _texts(conn: sqlite3.Connection, ids: list[int], query: Query) -> dict[int, tuple[Any, ...]]:
    """id -> (title, lead, body, language) of the hits kept, for their snippets."""
    if not ids:
        return {}
    sql = (
        f"SELECT a.id, a.title, a.lead, a.body, s.language FROM articles a JOIN {INDEX} s"
        f" ON s.rowid = a.id WHERE a.id IN ({','.join('?' * len(ids))})"
    )
    return {row[0]: tuple(row[1:]) for row in _run(conn, sql, ids, query)}


def _snippet(
    query: Query, title: str | None, lead: str | None, body: str | None, language: str | None
) -> str:
    """The body's words around what matched, else the lead's, else the title's; else the
    lead (a ``source:`` only query, a ``--raw`` one, or a match the snippet cannot place)."""
    if not query.is_empty and not query.raw:
        for text in (body, lead, title):
            found = make_snippet(text, language, query.highlight, query.prefixes)
            if found:
                return found
    return _lead_snippet(lead, body)


def _collapse(
    conn: sqlite3.Connection,
    sql: str,
    params: list[object],
    query: Query,
    limit: int,
    all_versions: bool,
) -> list[tuple[Any, ...]]:
    """The first ``limit`` rows, keeping the best row of each story cluster.

    Fetches a few ids more than asked and quadruples until enough clusters are found, so the
    common case (few duplicates) costs one ranked query with a small LIMIT.
    """
    fetch = limit if all_versions else limit * 2
    while True:
        ranked = _run(conn, sql + " LIMIT ?", [*params, fetch], query)
        rows = _details(conn, ranked, query)
        if all_versions:
            return rows
        kept: list[tuple[Any, ...]] = []
        clusters: set[int] = set()
        for row in rows:
            cluster = row[6] if row[6] is not None else row[0]
            if cluster not in clusters:
                clusters.add(cluster)
                kept.append(row)
        if len(kept) >= limit or len(ranked) < fetch:
            return kept[:limit]
        fetch *= 4


def count(
    db_path: Path | str,
    text: str,
    *,
    raw: bool = False,
    source: Sequence[str] = (),
    since: datetime | None = None,
    until: datetime | None = None,
    lang: str | None = None,
) -> list[tuple[str, int]]:
    """Matching articles per source, most first (every version: no cluster collapse)."""
    parse_query(text, raw=raw)
    url = _postgres(db_path)
    if url is not None:
        from archiver.store.pg import search as pg

        return pg.count(url, text, raw=raw, source=source, since=since, until=until, lang=lang)
    with connect_readonly(Path(db_path)) as conn:
        query = _prepare(conn, text, raw, lang)
        where, params = _filters(query, source, since, until, lang)
        if query.is_empty:
            sql = f"SELECT a.source, count(*) FROM articles a WHERE 1{where}"
        else:
            sql = (
                f"SELECT a.source, count(*) FROM {INDEX}"
                f" JOIN articles a ON a.id = {INDEX}.rowid"
                f" WHERE {INDEX} MATCH ?{where}"
            )
            params = [query.match, *params]
        sql += " GROUP BY a.source ORDER BY count(*) DESC, a.source"
        rows = _run(conn, sql, params, query)
    return [(name if name is not None else "(none)", int(n)) for name, n in rows]
