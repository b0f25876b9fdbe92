"""The lease claim on PostgreSQL: the source's row taken with ``SELECT ... FOR UPDATE SKIP
LOCKED`` (``store.leases`` calls it through its backend hook).

One short transaction of its own, outside the writers' advisory lock (a claim never waits
behind a daemon filing articles): a source that has no lease row yet gets one naming us
(``INSERT ... ON CONFLICT DO NOTHING``: of two daemons inserting at once, the second waits
for the first and inserts nothing); an existing row is locked only when it is free for us
(expired, or already ours) and only when no other claimer has it locked at this moment
(``SKIP LOCKED``): that claimer is taking it, so we leave it and report the row as it
stands. Renewal and release are the shared statements of ``store.leases``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from archiver.timeutil import to_iso

if TYPE_CHECKING:
    from archiver.store.leases import Holder
    from archiver.store.pg.core import PgStore

COLUMNS = "source, holder, pid, host, acquired_at, expires_at"


def claim_row(
    store: PgStore, source: str, holder: Holder, now: datetime, ttl: timedelta
) -> tuple[Any, ...]:
    """Try to take ``source``'s lease for ``holder``; the lease row as it stands after."""
    while True:
        row = _attempt(store, source, holder, to_iso(now), to_iso(now + ttl))
        if row is not None:
            return row
        # released by its holder between our claim and our look: it is free, claim again


def _attempt(
    store: PgStore, source: str, holder: Holder, at: str | None, until: str | None
) -> tuple[Any, ...] | None:
    with store.row_transaction() as conn:
        inserted = conn.execute(
            f"""INSERT INTO leases ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (source) DO NOTHING RETURNING source""",
            (source, holder.id, holder.pid, holder.host, at, until),
        ).fetchone()
        if inserted is None:
            free = conn.execute(
                """SELECT holder FROM leases
                   WHERE source = ? AND (holder = ? OR expires_at <= ?)
                   FOR UPDATE SKIP LOCKED""",
                (source, holder.id, at),
            ).fetchone()
            if free is not None:
                conn.execute(
                    """UPDATE leases SET holder = ?, pid = ?, host = ?,
                         acquired_at = CASE WHEN holder = ? THEN acquired_at ELSE ? END,
                         expires_at = ?
                       WHERE source = ?""",
                    (holder.id, holder.pid, holder.host, holder.id, at, until, source),
                )
    row = store.conn.execute(f"SELECT {COLUMNS} FROM leases WHERE source = ?", (source,)).fetchone()
    return None if row is None else tuple(row)
