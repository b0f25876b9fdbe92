"""The lemma tables' files: a table of (form, lemma) pairs written into an SQLite file of its own.

``archiver.search.lexicon`` decides what a table keeps and where its file lives; this writes
the file (the only SQL it needs written), atomically: built under a temporary name, flushed to
disk, then renamed, so a reader never sees a torn file.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable
from pathlib import Path


def write(pairs: Iterable[tuple[str, str]], dest: Path) -> int:
    """Write ``pairs`` (in form order, forms unique) as the file ``dest``; returns how many."""
    tmp = dest.with_name(f"{dest.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    conn = sqlite3.connect(tmp)
    try:
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute(
            "CREATE TABLE lemmas (form TEXT PRIMARY KEY, lemma TEXT NOT NULL) WITHOUT ROWID"
        )
        # in key order: the B-tree is written left to right
        conn.executemany("INSERT INTO lemmas (form, lemma) VALUES (?, ?)", pairs)
        conn.commit()
        count = int(conn.execute("SELECT count(*) FROM lemmas").fetchone()[0])
    finally:
        conn.close()
    with open(tmp, "rb") as fh:  # on disk before it has its name
        os.fsync(fh.fileno())
    os.replace(tmp, dest)
    return count
