"""Read-only connections to the archive, for the read commands and Datasette: they never write."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from archiver.errors import StoreError

BUSY_TIMEOUT_S = 30.0


@contextmanager
def connect_readonly(db_path: Path) -> Iterator[sqlite3.Connection]:
    """A read-only connection to the archive, with a busy timeout; friendly errors."""
    path = Path(db_path)
    if not path.is_file():
        raise StoreError(f"no archive at {path} (run `archiver poll` first, or check --config)")
    uri = path.resolve().as_uri() + "?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S)
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open the archive {path}: {exc}") from exc
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        yield conn
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"cannot read the archive {path}: {exc}") from exc
    finally:
        conn.close()
