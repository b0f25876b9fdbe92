"""Read-only connections to the archive, for the read commands and Datasette: they never write.

While a writer has the archive open its WAL file (``-wal``) exists: then ``mode=ro``, which
reads the WAL too, so what the daemon committed a moment ago is seen. Without a WAL file every
commit is in the main file (the last writer to close checkpoints and removes the WAL), and the
archive is opened ``immutable=1``, which reads that file alone and creates nothing beside it
(``mode=ro`` would leave empty ``-wal`` and ``-shm`` files in the folder). On a read-only
mount SQLite cannot open the WAL index of a WAL archive; there too ``immutable=1`` answers.
A missing archive is never created. (``archiver serve`` opens it its own way: see
``serve.app``.)
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from archiver.errors import StoreError

BUSY_TIMEOUT_S = 30.0


def _uri(path: Path, query: str) -> str:
    return "file:" + quote(str(path.resolve())) + "?" + query


def open_readonly(db_path: Path) -> sqlite3.Connection:
    """A read-only connection (``mode=ro``, else ``immutable=1``); friendly errors."""
    path = Path(db_path)
    if not path.is_file():
        raise StoreError(f"no archive at {path} (run `archiver poll` first, or check --config)")
    first: sqlite3.Error | None = None
    modes = ["mode=ro&immutable=1"]
    if Path(f"{path}-wal").exists():
        modes.insert(0, "mode=ro")
    for query in modes:
        conn: sqlite3.Connection | None = None
        try:
            conn = sqlite3.connect(
                _uri(path, query), uri=True, timeout=BUSY_TIMEOUT_S, check_same_thread=False
            )
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # opens the WAL
            return conn
        except sqlite3.Error as exc:
            if conn is not None:
                conn.close()
            if isinstance(exc, sqlite3.DatabaseError) and "not a database" in str(exc):
                raise StoreError(f"{path}: not an archive (not an SQLite database)") from None
            first = first or exc
    raise StoreError(f"cannot open the archive {path}: {first}") from None


@contextmanager
def connect_readonly(db_path: Path) -> Iterator[sqlite3.Connection]:
    """A read-only connection to the archive, with a busy timeout; friendly errors."""
    path = Path(db_path)
    conn = open_readonly(path)
    try:
        yield conn
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"cannot read the archive {path}: {exc}") from exc
    finally:
        conn.close()
