"""PgStore: the archive in PostgreSQL, through a psycopg pool, with the SQLite Store's API.

Everything the SQLite ``Store`` does is inherited: its SQL runs here through
``store.pg.dialect``. What differs is below: connections (one pooled connection per
thread, autocommit; ``transaction()`` opens one), the migrations (``store.pg.schema``),
checks, and one rule that keeps filing exact under many writers: every write transaction
takes one advisory lock, so two daemons decide "new story or revision" one after the other,
as ``BEGIN IMMEDIATE`` makes them on SQLite. Readers never wait for it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from archiver.errors import StoreError
from archiver.store import searchindex
from archiver.store.core import Store
from archiver.store.pg import schema
from archiver.store.pg.dialect import ROWS, Connection, Row
from archiver.timeutil import to_iso, utcnow

WRITE_LOCK = 0x61726368  # pg_advisory_xact_lock key of the archive's writers ("arch")
POOL_SIZE = 64  # connections at most per process (one per thread that touches the store)


def redact(url: str) -> str:
    """The URL without its password, for logs and errors."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{netloc[-1]}"))


@contextmanager
def _rolled_back_on_error(conn: Connection) -> Iterator[None]:
    """Any error inside rolls the open transaction back; a database error becomes one
    ``StoreError`` line."""
    try:
        yield
    except BaseException as exc:
        with suppress(psycopg.Error):
            conn.raw.execute("ROLLBACK")
        if isinstance(exc, psycopg.Error):
            raise StoreError(
                f"archive write failed and was rolled back: {str(exc).strip()}"
            ) from None
        raise


class PgStore(Store):
    """The archive database on a PostgreSQL server; the same interface as ``Store``."""

    backend = "postgresql"

    def __init__(self, url: str, *, readonly: bool = False) -> None:
        super().__init__(Path("postgresql"), readonly=readonly)
        self.url = url
        self.location = redact(url)
        self._pool: ConnectionPool[Any] | None = None
        self._pool_lock = threading.Lock()
        self._held: list[psycopg.Connection[Any]] = []

    # ---- connections

    @property
    def pool(self) -> ConnectionPool[Any]:
        with self._pool_lock:
            if self._pool is None:
                options = "-c default_transaction_read_only=on" if self.readonly else ""
                try:  # a server that is not there: one line now, not the pool's 30 s of retries
                    psycopg.connect(self.url, connect_timeout=10).close()
                except psycopg.Error as exc:
                    first = (str(exc).strip().splitlines() or ["no reason given"])[0]
                    raise StoreError(f"{self.location}: cannot open the archive: {first}") from None
                self._pool = ConnectionPool(
                    self.url,
                    min_size=0,
                    max_size=POOL_SIZE,
                    kwargs={"autocommit": True, "row_factory": ROWS, "options": options},
                    open=True,
                    timeout=30,
                )
            return self._pool

    @property
    def conn(self) -> Any:
        conn: Connection | None = getattr(self._local, "pg", None)
        if conn is None:
            try:
                raw = self.pool.getconn()
            except (psycopg.Error, PoolTimeout) as exc:
                raise StoreError(
                    f"{self.location}: cannot open the archive: {str(exc).strip()}"
                ) from None
            with self._pool_lock:
                self._held.append(raw)
            conn = Connection(raw)
            self._local.pg = conn
        return conn

    @property
    def db(self) -> Any:
        raise StoreError("sqlite-utils does not open a PostgreSQL archive")

    def close(self) -> None:
        with self._pool_lock:
            held, self._held = self._held, []
            pool, self._pool = self._pool, None
        if pool is not None:
            for raw in held:
                with suppress(psycopg.Error):
                    pool.putconn(raw)
            with suppress(psycopg.Error):
                pool.close()
        self._local = threading.local()

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        """BEGIN … COMMIT under the writers' advisory lock; any exception rolls it back."""
        if self.readonly:
            raise StoreError(f"{self.location}: opened read-only; this command cannot write")
        conn = cast(Connection, self.conn)
        try:
            conn.raw.execute("BEGIN")
            conn.raw.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
        except psycopg.Error as exc:
            with suppress(psycopg.Error):
                conn.raw.execute("ROLLBACK")
            raise StoreError(f"cannot start a write on the archive: {exc}") from None
        with _rolled_back_on_error(conn):
            yield conn
            conn.raw.execute("COMMIT")

    @contextmanager
    def row_transaction(self) -> Iterator[Any]:
        """BEGIN … COMMIT without the writers' lock, for statements whose row locks are their
        own guard (the lease claim's ``FOR UPDATE SKIP LOCKED``); errors roll it back."""
        if self.readonly:
            raise StoreError(f"{self.location}: opened read-only; this command cannot write")
        conn = cast(Connection, self.conn)
        with _rolled_back_on_error(conn):
            conn.raw.execute("BEGIN")
            yield conn
            conn.raw.execute("COMMIT")

    def checkpoint(self) -> None:
        """Nothing to fold: PostgreSQL checkpoints and vacuums by itself."""

    # ---- schema

    def schema_version(self) -> int:
        row = self.conn.execute("SELECT to_regclass('schema_migrations')").fetchone()
        if row is None or row[0] is None:
            return 0
        found = self.conn.execute("SELECT max(version) FROM schema_migrations").fetchone()
        return int(found[0] or 0)

    def migrate(self, progress: searchindex.Progress | None = None) -> int:
        """Apply the migrations this archive lacks (one transaction), then (re-)index what
        the search index lacks, as on SQLite; returns the version."""
        with self.transaction() as conn:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations"
                " (version bigint PRIMARY KEY, name text, applied_at text)"
            )
            done = {r[0] for r in conn.execute("SELECT version FROM schema_migrations")}
            for version, name, steps in schema.MIGRATIONS:
                if version in done:
                    continue
                for step in steps:
                    conn.raw.execute(step)
                conn.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    (version, name, to_iso(utcnow())),
                )
            if conn.execute("SELECT to_regclass('idx_articles_search_tsv')").fetchone()[0] is None:
                conn.raw.execute(schema.GIN_INDEX)  # a copy stopped before it built it
            searchindex.keep_current(conn)
        searchindex.backfill(self.conn, self.transaction, progress)
        return self.schema_version()

    # ---- checks

    def integrity_problems(self) -> list[str]:
        """Every article indexed once and no stray index rows; [] when all pass."""
        missing = self.conn.execute(
            "SELECT count(*) FROM articles a WHERE NOT EXISTS"
            " (SELECT 1 FROM articles_search s WHERE s.rowid = a.id)"
        ).fetchone()
        extra = self.conn.execute(
            "SELECT count(*) FROM articles_search s WHERE NOT EXISTS"
            " (SELECT 1 FROM articles a WHERE a.id = s.rowid)"
        ).fetchone()
        m, e = int(cast(Row, missing)[0]), int(cast(Row, extra)[0])
        if m or e:
            return [f"articles_search: {m} articles not indexed, {e} stray rows"]
        return []
