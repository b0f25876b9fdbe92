"""Host politeness slots in PostgreSQL (``host_slots``): one request per host at a time,
``delay`` apart, across every daemon on the archive (``fetch.politeness.SharedSlots``).

A slot row says who holds the host now (``holder``, until ``held_until``: a holder that
died frees it then) and when the next request may start (``next_at``). Times are the
database server's clock (seconds since the epoch), so machines with skewed clocks agree.
Each call is one autocommit statement, outside the writers' lock.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING

import psycopg

from archiver.errors import StoreError
from archiver.store.leases import _alive

if TYPE_CHECKING:
    from archiver.store.pg.core import PgStore

_NOW = "extract(epoch from clock_timestamp())"
#: seconds between two looks at a slot another daemon holds for its request (its delay and a
#: Retry-After are ``next_at``: the wait reported is then the time left until it)
HELD_POLL = 0.05


@contextmanager
def _errors(key: str) -> Iterator[None]:
    try:
        yield
    except psycopg.Error as exc:
        raise StoreError(f"host slot {key}: {str(exc).strip()}") from None


def _dead_here(holder: str) -> bool:
    """Whether ``holder`` (a ``Holder.id``: pid@host/token) ran on this machine and is gone."""
    pid, _, rest = holder.partition("@")
    host = rest.rpartition("/")[0]
    if not pid.isdigit() or host != socket.gethostname():
        return False
    return not _alive(int(pid))


class PgHostSlots:
    """The ``SharedSlots`` of one daemon (``holder``: its id) on a PostgreSQL archive."""

    def __init__(self, store: PgStore, holder: str) -> None:
        self.store, self.holder = store, holder

    def acquire(self, key: str, hold: float) -> float:
        with _errors(key):
            return self._acquire(key, hold)

    def _acquire(self, key: str, hold: float) -> float:
        conn = self.store.conn
        row = conn.execute(
            f"""INSERT INTO host_slots (host, next_at, holder, held_until)
                VALUES (?, 0, ?, {_NOW} + ?)
                ON CONFLICT (host) DO UPDATE SET
                  holder = excluded.holder, held_until = excluded.held_until
                WHERE host_slots.next_at <= {_NOW}
                  AND (host_slots.holder IS NULL OR host_slots.holder = excluded.holder
                       OR host_slots.held_until <= {_NOW})
                RETURNING 0.0""",
            (key, self.holder, hold),
        ).fetchone()
        if row is not None:
            return 0.0
        left = conn.execute(
            f"""SELECT greatest(next_at - {_NOW},
                  CASE WHEN holder IS NULL THEN 0 ELSE {HELD_POLL} END, 0.01), holder
                FROM host_slots WHERE host = ?""",
            (key,),
        ).fetchone()
        if left is None:
            raise StoreError(f"host slot {key} vanished")
        if left[1] is not None and _dead_here(str(left[1])):
            # its holder died on this machine (kill -9): free the slot now, not at expiry
            conn.execute(
                "UPDATE host_slots SET holder = NULL WHERE host = ? AND holder = ?",
                (key, left[1]),
            )
            return 0.01
        return max(float(left[0]), 0.01)

    def release(self, key: str, delay: float) -> None:
        with _errors(key):
            self._execute(
                f"""UPDATE host_slots SET holder = NULL,
                  next_at = greatest(next_at, {_NOW} + ?)
                WHERE host = ? AND holder = ?""",
                (delay, key, self.holder),
            )

    def block(self, key: str, until: datetime) -> None:
        with _errors(key):
            self._execute(
                """INSERT INTO host_slots (host, next_at) VALUES (?, ?)
               ON CONFLICT (host) DO UPDATE SET
                 next_at = greatest(host_slots.next_at, excluded.next_at)""",
                (key, until.timestamp()),
            )

    def _execute(self, sql: str, params: tuple[object, ...]) -> None:
        self.store.conn.execute(sql, params)
