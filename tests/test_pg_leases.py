"""The lease claim on PostgreSQL (``SELECT ... FOR UPDATE SKIP LOCKED``): two claimers at
once never both get a source, an expired lease is taken over by exactly one, a row another
claimer has locked is skipped rather than waited for, and no claim waits for the writers."""

from __future__ import annotations

import random
import threading
from collections import Counter
from datetime import timedelta

import psycopg

from archiver.store.leases import Holder, claim, live_leases, release
from archiver.store.pg.core import WRITE_LOCK, PgStore
from archiver.timeutil import utcnow

SOURCES = [f"s{i}" for i in range(40)]


def race(url: str, holders: list[Holder], now_offset: timedelta) -> dict[str, list[str]]:
    """Every holder claims every source at once (own connection, shuffled order); source ->
    the holders that were told the lease is theirs."""
    won: dict[str, list[str]] = {s: [] for s in SOURCES}
    lock = threading.Lock()
    barrier = threading.Barrier(len(holders))
    errors: list[BaseException] = []

    def claimer(holder: Holder, seed: int) -> None:
        order = SOURCES[:]
        random.Random(seed).shuffle(order)
        try:
            with PgStore(url) as store:
                store.conn.execute("SELECT 1")  # connected before the start line
                barrier.wait()
                for source in order:
                    if claim(store, source, holder, now=utcnow() + now_offset) is None:
                        with lock:
                            won[source].append(holder.id)
        except BaseException as exc:  # reported by the test, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=claimer, args=(h, i)) for i, h in enumerate(holders)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    return won


def test_two_claimers_at_once_never_get_the_same_source(pg_url: str) -> None:
    a, b = Holder(101, "alpha", "aaaa"), Holder(202, "beta", "bbbb")
    with PgStore(pg_url) as store:
        store.migrate()
        for round_ in range(4):
            won = race(pg_url, [a, b], timedelta(0))
            assert all(len(w) == 1 for w in won.values()), (round_, won)
            leases = live_leases(store.conn)
            assert {s: [leases[s].holder] for s in SOURCES} == won  # the row names the winner
            for source, (winner,) in won.items():
                release(store, source, a if winner == a.id else b)
            assert live_leases(store.conn) == {}


def test_an_expired_lease_is_taken_over_by_exactly_one(pg_url: str) -> None:
    gone = Holder(303, "lost-machine", "dead")  # another machine: only expiry frees it
    a, b = Holder(101, "alpha", "aaaa"), Holder(202, "beta", "bbbb")
    with PgStore(pg_url) as store:
        store.migrate()
        for source in SOURCES:
            assert claim(store, source, gone) is None
        while_alive = race(pg_url, [a, b], timedelta(0))
        assert while_alive == {s: [] for s in SOURCES}  # held: nobody takes it
        expired = race(pg_url, [a, b], timedelta(minutes=10))
        assert all(len(w) == 1 for w in expired.values()), expired
        later = utcnow() + timedelta(minutes=10)
        holders = Counter(lease.holder for lease in live_leases(store.conn, later).values())
        assert sum(holders.values()) == len(SOURCES) and gone.id not in holders


def test_a_row_another_claimer_has_locked_is_skipped_not_waited_for(pg_url: str) -> None:
    a, b = Holder(101, "alpha", "aaaa"), Holder(202, "beta", "bbbb")
    with PgStore(pg_url) as store:
        store.migrate()
        assert claim(store, "s", a) is None
        later = utcnow() + timedelta(minutes=10)  # a's lease has expired by then
        store.conn.execute("SET lock_timeout = '5s'")  # a wait for the row would fail
        with psycopg.connect(pg_url) as other:  # another claimer, half-way through its claim
            other.execute("SELECT * FROM leases WHERE source = 's' FOR UPDATE")
            busy = claim(store, "s", b, now=later)
            assert busy is not None and busy.holder == a.id  # skipped: left to the other
            other.rollback()
        assert claim(store, "s", b, now=later) is None  # free again: taken over


def test_a_claim_does_not_wait_for_the_writers_lock(pg_url: str) -> None:
    a = Holder(101, "alpha", "aaaa")
    with PgStore(pg_url) as store:
        store.migrate()
        store.conn.execute("SET statement_timeout = '5s'")
        with psycopg.connect(pg_url, autocommit=True) as writer:  # a daemon filing articles
            writer.execute("SELECT pg_advisory_lock(%s)", (WRITE_LOCK,))
            assert claim(store, "s", a) is None
            assert live_leases(store.conn)["s"].holder == a.id
            writer.execute("SELECT pg_advisory_unlock(%s)", (WRITE_LOCK,))
