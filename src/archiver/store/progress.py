"""Where an ``archiver reextract`` run got to (table ``reextract_runs``), for resuming."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from archiver.store.core import Store
from archiver.timeutil import to_iso


@dataclass(frozen=True, slots=True)
class RunPosition:
    """An unfinished run: its id, the last capture it filed, and how many it handled."""

    run_id: int
    file: str | None
    offset: int
    done: int


def open_run(store: Store, scope: str, now: datetime, *, restart: bool = False) -> RunPosition:
    """The unfinished run of this ``scope`` to resume, else (or with ``restart``) a new one."""
    with store.transaction() as conn:
        row = conn.execute(
            "SELECT id, file, offset, done FROM reextract_runs"
            " WHERE scope = ? AND finished_at IS NULL ORDER BY id DESC LIMIT 1",
            (scope,),
        ).fetchone()
        if row is not None and not restart:
            return RunPosition(int(row[0]), row[1], int(row[2] or 0), int(row[3] or 0))
        conn.execute(
            "UPDATE reextract_runs SET finished_at = ? WHERE scope = ? AND finished_at IS NULL",
            (to_iso(now), scope),
        )
        cursor = conn.execute(
            "INSERT INTO reextract_runs (scope, started_at, updated_at, offset, done)"
            " VALUES (?, ?, ?, 0, 0)",
            (scope, to_iso(now), to_iso(now)),
        )
        return RunPosition(int(cursor.lastrowid or 0), None, 0, 0)


def save_position(
    store: Store, run_id: int, *, file: str, offset: int, done: int, now: datetime
) -> None:
    """Remember the last capture filed (every capture before it is done too)."""
    with store.transaction() as conn:
        conn.execute(
            "UPDATE reextract_runs SET file = ?, offset = ?, done = ?, updated_at = ? WHERE id = ?",
            (file, offset, done, to_iso(now), run_id),
        )


def finish_run(store: Store, run_id: int, *, done: int, now: datetime) -> None:
    with store.transaction() as conn:
        conn.execute(
            "UPDATE reextract_runs SET finished_at = ?, updated_at = ?, done = ? WHERE id = ?",
            (to_iso(now), to_iso(now), done, run_id),
        )
