"""``archiver copy SRC DEST``: move an archive between SQLite and PostgreSQL, in batches.

Each table is read in its primary key's order, ``batch`` rows per transaction on DEST; the
same transaction records the last key copied (``copy_progress`` on DEST) and indexes the
copied articles for search (the source's index rows as they are, when its index is whole: no
article is analyzed again), so an interrupted copy resumes at the next batch and never
duplicates a row; on PostgreSQL the search index's GIN index is built once, after the last
batch. DEST must be a new (or partly copied) archive: one that already holds
articles of its own is refused. Leases, host slots and re-extraction progress are the
running state of their pollers and stay behind.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from archiver.errors import ArchiverError
from archiver.store import searchindex
from archiver.store.core import Store

#: (table, primary key), parents first
TABLES: tuple[tuple[str, str], ...] = (
    ("sources", "name"),
    ("articles", "id"),
    ("article_urls", "url"),
    ("revisions", "id"),
    ("link_keys", "identity"),
    ("failures", "url"),
    ("fetches", "id"),
)
SERIALS = ("articles", "revisions", "fetches")
BATCH = 2000

#: (rows copied so far, rows to copy in all)
Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class Copied:
    rows: dict[str, int]
    resumed: bool


def is_url(target: str) -> bool:
    return target.startswith(("postgresql://", "postgres://"))


def _columns(store: Store, table: str) -> list[str]:
    cursor = store.conn.execute(f"SELECT * FROM {table} LIMIT 0")
    return [d[0] for d in cursor.description]


def _progress_table(dest: Store) -> None:
    with dest.transaction() as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS copy_progress"
            " (tbl TEXT PRIMARY KEY, last_key TEXT, copied BIGINT)"
        )


def copy_archive(
    src: Store, dest: Store, *, batch: int = BATCH, progress: Progress | None = None
) -> Copied:
    """Copy every row of ``src`` into ``dest`` (migrated here); resumable."""
    if src.schema_version() < 7:
        raise ArchiverError("the source archive is from an older archiver: run `archiver poll`")
    dest.migrate()
    _progress_table(dest)
    state = {
        str(r[0]): (r[1], int(r[2] or 0))
        for r in dest.conn.execute("SELECT tbl, last_key, copied FROM copy_progress")
    }
    resumed = bool(state)
    if not resumed and dest.count_articles():
        raise ArchiverError(
            f"the destination already holds {dest.count_articles()} articles of its own;"
            " copy into a new archive"
        )
    totals = {
        t: int(src.conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]) for t, _ in TABLES
    }
    total = sum(totals.values())
    done = sum(copied for _, copied in state.values())
    if progress is not None:
        progress(done, total)
    rows: dict[str, int] = {}
    verbatim = searchindex.pending(src.conn) is None  # src's index is whole: copy it as it is
    to_pg = getattr(dest, "backend", "sqlite") == "postgresql"
    if to_pg:  # the GIN index is built once, at the end: many times cheaper than row by row
        with dest.transaction() as conn:
            conn.execute("DROP INDEX IF EXISTS idx_articles_search_tsv")
    for table, key in TABLES:
        wanted = set(_columns(dest, table))
        columns = [c for c in _columns(src, table) if c in wanted]
        last, copied = state.get(table, (None, 0))
        marks = ", ".join("?" * len(columns))
        insert = f"INSERT OR IGNORE INTO {table} ({', '.join(columns)}) VALUES ({marks})"
        position = columns.index(key)
        while True:
            where = "" if last is None else f" WHERE {key} > ?"
            params: list[Any] = [] if last is None else [int(last) if key == "id" else last]
            chunk = src.conn.execute(
                f"SELECT {', '.join(columns)} FROM {table}{where} ORDER BY {key} LIMIT ?",
                [*params, batch],
            ).fetchall()
            if not chunk:
                break
            last = chunk[-1][position]
            copied += len(chunk)
            with dest.transaction() as conn:
                conn.executemany(insert, [tuple(r) for r in chunk])
                if table == "articles":
                    _index(src, dest, conn, [int(r[position]) for r in chunk], verbatim)
                conn.execute(
                    "INSERT INTO copy_progress (tbl, last_key, copied) VALUES (?, ?, ?)"
                    " ON CONFLICT(tbl) DO UPDATE SET last_key = excluded.last_key,"
                    " copied = excluded.copied",
                    (table, str(last), copied),
                )
                if table in SERIALS and to_pg:
                    conn.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                        f" (SELECT max(id) FROM {table}))"
                    )
            done += len(chunk)
            if progress is not None:
                progress(done, total)
        rows[table] = copied
    if to_pg:
        from archiver.store.pg.schema import GIN_INDEX

        with dest.transaction() as conn:
            conn.execute("SET LOCAL maintenance_work_mem = '256MB'")
            conn.execute(GIN_INDEX)
    return Copied(rows=rows, resumed=resumed)


def _index(src: Store, dest: Store, conn: Any, ids: list[int], verbatim: bool) -> None:
    """Index the copied articles ``ids`` on DEST, in its transaction ``conn``: the source's own
    index rows as they are (its analyzed text; on PostgreSQL with the ``tsvector`` built in
    Python, ``store.pg.tsv``), so nothing is analyzed again; articles the source has not
    indexed yet are analyzed here (``searchindex.index_articles``)."""
    found: list[Any] = []
    for i in range(0, len(ids) if verbatim else 0, searchindex.BATCH):
        chunk = ids[i : i + searchindex.BATCH]
        found += src.conn.execute(
            "SELECT rowid, title, lead, body, language FROM articles_search"
            f" WHERE rowid IN ({','.join('?' * len(chunk))})",
            chunk,
        ).fetchall()
    if found:
        if getattr(dest, "backend", "sqlite") == "postgresql":
            from archiver.store.pg.tsv import tsvector_text

            # COPY: these articles were inserted in this very transaction, so none of them
            # has an index row yet (a batch commits whole, with its progress mark)
            conn.copy_rows(
                "articles_search",
                ("rowid", "title", "lead", "body", "language", "tsv"),
                ((*r, tsvector_text(r[1], r[2], r[3])) for r in found),
            )
        else:
            conn.executemany(
                "INSERT OR IGNORE INTO articles_search (rowid, title, lead, body, language)"
                " VALUES (?, ?, ?, ?, ?)",
                [tuple(r) for r in found],
            )
        conn.executemany(
            "INSERT OR IGNORE INTO search_languages (language) VALUES (?)",
            [(lang,) for lang in sorted({r[4] or "" for r in found})],
        )
    indexed = {int(r[0]) for r in found}
    rest = [i for i in ids if i not in indexed]
    if rest:
        searchindex.index_articles(conn, rest)
