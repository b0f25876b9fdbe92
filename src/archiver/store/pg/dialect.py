"""The store's SQLite SQL run on PostgreSQL: a per-thread connection that speaks sqlite3.

The store's statements are written once, in the SQL both engines share; the few spellings
that differ are rewritten here, side by side with their SQLite form:

* ``?`` placeholders              -> ``%s``
* ``INSERT OR IGNORE INTO ...``   -> ``INSERT INTO ... ON CONFLICT DO NOTHING``
* ``max(a, b)`` of two values     -> ``greatest(a, b)``
* in an upsert, ``col`` of the existing row -> ``table.col``
* ``cursor.lastrowid`` after an ``INSERT`` into a table with a serial id -> ``RETURNING id``

Rows read like ``sqlite3.Row``: by position, by column name, and ``dict(row)``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from typing import Any, cast

import psycopg
from psycopg.rows import RowFactory

_IGNORE_RE = re.compile(r"\bINSERT OR IGNORE INTO\b", re.IGNORECASE)
#: ON CONFLICT DO UPDATE: PostgreSQL wants the existing row's columns named by table
_UPSERT_REFS = (
    ("attempts = attempts + 1", "attempts = failures.attempts + 1"),
    ("max(final, excluded.final)", "greatest(failures.final, excluded.final)"),
    (
        "coalesce(excluded.article_id, article_id)",
        "coalesce(excluded.article_id, link_keys.article_id)",
    ),
    (
        "CASE WHEN url = excluded.url THEN etag END",
        "CASE WHEN sources.url = excluded.url THEN sources.etag END",
    ),
    (
        "CASE WHEN url = excluded.url THEN last_modified END",
        "CASE WHEN sources.url = excluded.url THEN sources.last_modified END",
    ),
    (
        "CASE WHEN url = excluded.url THEN next_check",
        "CASE WHEN sources.url = excluded.url THEN sources.next_check",
    ),
)
_OFFSET_RE = re.compile(r'(?<![\w"])offset(?![\w"])')
_RETURNING_ID_RE = re.compile(
    r"^\s*INSERT INTO (articles|revisions|fetches|reextract_runs)\b", re.IGNORECASE
)


@lru_cache(maxsize=512)
def translate(sql: str) -> tuple[str, bool]:
    """The PostgreSQL spelling of a store statement, and whether it returns the new id."""
    out = sql.replace("%", "%%").replace("?", "%s")
    if _IGNORE_RE.search(out):
        out = _IGNORE_RE.sub("INSERT INTO", out).rstrip().rstrip(";") + " ON CONFLICT DO NOTHING"
    if "ON CONFLICT" in out:
        for sqlite_form, pg_form in _UPSERT_REFS:
            out = out.replace(sqlite_form, pg_form)
    if "reextract_runs" in out:  # ``offset`` is a reserved word in PostgreSQL
        out = _OFFSET_RE.sub('"offset"', out)
    returning = bool(_RETURNING_ID_RE.match(out)) and "RETURNING" not in out.upper()
    if returning:
        out += " RETURNING id"
    return out, returning


class Row(tuple[Any, ...]):
    """A result row read by index or by column name (like ``sqlite3.Row``)."""

    _names: tuple[str, ...] = ()

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return tuple.__getitem__(self, self._names.index(key))
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._names)


def row_factory(cursor: psycopg.Cursor[Any]) -> Any:
    names = tuple(c.name for c in cursor.description or ())
    cls = type("Row", (Row,), {"_names": names, "__slots__": ()})

    def make(values: Sequence[Any]) -> Row:
        return cast(Row, cls(values))

    return make


ROWS: RowFactory[Row] = row_factory


class Cursor:
    """The results of one statement: ``fetchone``, ``fetchall``, iteration, ``rowcount``,
    ``lastrowid``."""

    def __init__(self, cursor: psycopg.Cursor[Row], lastrowid: int | None = None) -> None:
        self._cursor = cursor
        self.rowcount = cursor.rowcount
        self.lastrowid = lastrowid

    @property
    def description(self) -> Any:
        return self._cursor.description

    def fetchone(self) -> Row | None:
        return self._cursor.fetchone() if self._cursor.description else None

    def fetchall(self) -> list[Row]:
        return self._cursor.fetchall() if self._cursor.description else []

    def __iter__(self) -> Iterator[Row]:
        return iter(self.fetchall())


class Connection:
    """A psycopg connection (autocommit; the store opens transactions) with sqlite3's API."""

    def __init__(self, conn: psycopg.Connection[Row]) -> None:
        self.raw = conn

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Cursor:
        text, returning = translate(sql)
        cursor = self.raw.execute(text, list(params), prepare=False)
        lastrowid = None
        if returning:
            row = cursor.fetchone()
            lastrowid = int(row[0]) if row else None
        return Cursor(cursor, lastrowid)

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> Cursor:
        text, returning = translate(sql)
        if returning:
            text = text[: -len(" RETURNING id")]
        with self.raw.cursor() as cursor:
            cursor.executemany(text, [list(r) for r in rows])
            count = cursor.rowcount
        result = Cursor(self.raw.cursor())
        result.rowcount = count
        return result

    def copy_rows(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        """``COPY table (columns) FROM STDIN`` of ``rows`` (text format: each value as its
        type's input text); returns how many. For new rows only: a row whose key exists
        fails the whole COPY, as no ``ON CONFLICT`` applies."""
        count = 0
        sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        with self.raw.cursor() as cursor, cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)
                count += 1
        return count

    @property
    def in_transaction(self) -> bool:
        return self.raw.info.transaction_status != psycopg.pq.TransactionStatus.IDLE
