"""Source leases: one poller per source at a time, across processes (and later machines).

A lease is a row of ``leases``: the source, its holder (``pid@host`` plus a random id of the
poller process, so a reused pid never passes for a dead holder) and when it expires. A poller
claims a source before it polls it, renews the lease while it polls (``Renewer``) and
releases it when done; a holder that died without releasing loses its lease at expiry, or at
once when it ran on this machine and its pid is gone.

How a claim takes the row is the backend's (``claim_row``, the hook): on SQLite one atomic
statement, ``INSERT ... ON CONFLICT DO UPDATE ... WHERE`` the lease is free, expired or
already ours, in ``BEGIN IMMEDIATE``; on PostgreSQL ``store.pg.leases``: the row locked
with ``SELECT ... FOR UPDATE SKIP LOCKED`` when it is free for us, outside the writers'
advisory lock. Either way the claim took the lease when the row afterwards names us; the
rest (a dead holder on this machine, renewal, release) is the same for both.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from archiver.errors import ArchiverError
from archiver.timeutil import from_iso, to_iso, utcnow

if TYPE_CHECKING:
    from archiver.store.core import Store

LEASE_TTL = timedelta(seconds=120)  # a holder renews every TTL/4; a dead one frees in TTL


@dataclass(frozen=True, slots=True)
class Holder:
    """Who polls: this process, named so a person can find it (``pid@host``)."""

    pid: int
    host: str
    token: str  # random per process: a pid reused after a crash is another holder

    @classmethod
    def this_process(cls) -> Holder:
        return cls(pid=os.getpid(), host=socket.gethostname(), token=uuid.uuid4().hex[:12])

    @property
    def id(self) -> str:
        return f"{self.pid}@{self.host}/{self.token}"


@dataclass(frozen=True, slots=True)
class Lease:
    source: str
    holder: str
    pid: int
    host: str
    acquired_at: datetime | None
    expires_at: datetime | None


class SourceBusy(ArchiverError):
    """Another poller holds the source's lease."""

    kind = "busy"

    def __init__(self, lease: Lease) -> None:
        super().__init__(
            f"source {lease.source} is being polled by pid {lease.pid} on {lease.host}"
        )
        self.lease = lease


def _lease(row: sqlite3.Row | tuple[object, ...]) -> Lease:
    source, holder, pid, host, acquired, expires = tuple(row)
    return Lease(
        source=str(source),
        holder=str(holder),
        pid=int(str(pid)),
        host=str(host),
        acquired_at=from_iso(str(acquired)),
        expires_at=from_iso(str(expires)),
    )


_COLUMNS = "source, holder, pid, host, acquired_at, expires_at"


def claim(
    store: Store,
    source: str,
    holder: Holder,
    *,
    ttl: timedelta = LEASE_TTL,
    now: datetime | None = None,
) -> Lease | None:
    """Take (or renew) ``source``'s lease for ``holder``; ``None`` when it is ours now, else
    the other holder's live lease."""
    now = now or utcnow()
    lease = _lease(claim_row(store, source, holder, now, ttl))
    if lease.holder != holder.id and lease.host == holder.host and not _alive(lease.pid):
        # its holder died on this machine (kill -9, a crash): no need to wait for expiry
        with store.transaction() as conn:
            conn.execute(
                "DELETE FROM leases WHERE source = ? AND holder = ?", (source, lease.holder)
            )
        return claim(store, source, holder, ttl=ttl, now=now)
    return None if lease.holder == holder.id else lease


def claim_row(
    store: Store, source: str, holder: Holder, now: datetime, ttl: timedelta
) -> tuple[object, ...]:
    """The backend hook: try to take ``source``'s lease; the lease row as it stands after."""
    if getattr(store, "backend", "sqlite") == "postgresql":
        from archiver.store.pg.core import PgStore
        from archiver.store.pg.leases import claim_row as claim_skip_locked

        assert isinstance(store, PgStore)
        return claim_skip_locked(store, source, holder, now, ttl)
    with store.transaction() as conn:
        conn.execute(
            f"""INSERT INTO leases ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT(source) DO UPDATE SET
                  holder = excluded.holder, pid = excluded.pid, host = excluded.host,
                  acquired_at = CASE WHEN leases.holder = excluded.holder
                                     THEN leases.acquired_at ELSE excluded.acquired_at END,
                  expires_at = excluded.expires_at
                WHERE leases.holder = excluded.holder OR leases.expires_at <= ?""",
            (
                source,
                holder.id,
                holder.pid,
                holder.host,
                to_iso(now),
                to_iso(now + ttl),
                to_iso(now),
            ),
        )
        row = conn.execute(f"SELECT {_COLUMNS} FROM leases WHERE source = ?", (source,)).fetchone()
    return tuple(row)


def _alive(pid: int) -> bool:
    """Whether a process ``pid`` runs on this machine (a reused pid counts as alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: it exists, someone else's
        return True
    return True


def renew(store: Store, sources: list[str], holder: Holder, *, ttl: timedelta = LEASE_TTL) -> None:
    """Push the expiry of ``holder``'s leases on ``sources`` forward."""
    if not sources:
        return
    marks = ",".join("?" * len(sources))
    with store.transaction() as conn:
        conn.execute(
            f"UPDATE leases SET expires_at = ? WHERE holder = ? AND source IN ({marks})",
            (to_iso(utcnow() + ttl), holder.id, *sources),
        )


def release(store: Store, source: str, holder: Holder) -> None:
    """Give the lease back (only ours: a lease taken over after expiry stays its holder's)."""
    with store.transaction() as conn:
        conn.execute("DELETE FROM leases WHERE source = ? AND holder = ?", (source, holder.id))


def live_leases(conn: sqlite3.Connection, now: datetime | None = None) -> dict[str, Lease]:
    """source -> its unexpired lease (for ``archiver sources``); {} on an older archive."""
    try:
        rows = conn.execute(
            f"SELECT {_COLUMNS} FROM leases WHERE expires_at > ?", (to_iso(now or utcnow()),)
        ).fetchall()
    except sqlite3.OperationalError:  # no leases table: an archive before migration 6
        return {}
    return {lease.source: lease for lease in map(_lease, rows)}


class Renewer:
    """A background thread renewing the leases a poller holds, every ``ttl / 4``."""

    def __init__(self, store: Store, holder: Holder, *, ttl: timedelta = LEASE_TTL) -> None:
        self.store, self.holder, self.ttl = store, holder, ttl
        self._held: set[str] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="lease-renewer", daemon=True)
        self._thread.start()

    def add(self, source: str) -> None:
        with self._lock:
            self._held.add(source)

    def discard(self, source: str) -> None:
        with self._lock:
            self._held.discard(source)

    def _loop(self) -> None:
        while not self._stop.wait(self.ttl.total_seconds() / 4):
            with self._lock:
                held = sorted(self._held)
            with suppress(ArchiverError):  # a busy archive: the next round renews
                renew(self.store, held, self.holder, ttl=self.ttl)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


@contextmanager
def leased(
    store: Store, source: str, holder: Holder, renewer: Renewer | None = None
) -> Iterator[None]:
    """Hold ``source``'s lease for the block, or raise ``SourceBusy``."""
    other = claim(store, source, holder)
    if other is not None:
        raise SourceBusy(other)
    if renewer is not None:
        renewer.add(source)
    try:
        yield
    finally:
        if renewer is not None:
            renewer.discard(source)
        with suppress(ArchiverError):  # not released: it expires
            release(store, source, holder)
