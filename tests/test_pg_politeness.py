"""Politeness across daemons through the Fetcher's public hook (``Fetcher.share_hosts``):
two fetchers, each a daemon with its own holder id on one PostgreSQL archive, keep one host's
delay between them and honour a Retry-After the other one was given."""

from __future__ import annotations

import threading

import pytest

from archiver.errors import HTTPStatusError
from archiver.fetch import Fetcher
from archiver.store.leases import Holder
from archiver.store.pg.core import PgStore
from archiver.store.pg.share import share_backend
from archiver.store.pg.slots import PgHostSlots
from test_fetch_politeness import Watch

from servers import Server, fetcher, status


def test_two_daemons_keep_one_hosts_delay_between_them(pg_url: str) -> None:
    watch = Watch()
    with PgStore(pg_url) as store, Server({"/a": watch}) as server:
        store.migrate()
        daemons = [fetcher(delay=0.4), fetcher(delay=0.4)]
        for i, f in enumerate(daemons):
            f.share_hosts(PgHostSlots(store, f"{100 + i}@test/d{i}"))

        def fetch_three(f: Fetcher) -> None:
            for _ in range(3):
                f.get(server.url("/a"))

        threads = [threading.Thread(target=fetch_three, args=(f,)) for f in daemons]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        for f in daemons:
            f.close()
    assert len(watch.starts) == 6
    assert watch.most == 1  # never two at once, though each fetcher has its own HostGate
    assert all(gap >= 0.4 for gap in watch.gaps())  # the delay holds across the two


def test_a_retry_after_one_daemon_was_given_holds_back_the_other(pg_url: str) -> None:
    routes = {"/busy": status(503, [("Retry-After", "120")]), "/b": status(200)}
    with PgStore(pg_url) as store, Server(routes) as server:
        store.migrate()
        one, two = fetcher(retries=0), fetcher(retries=0)
        share_backend(store, one, Holder(101, "alpha", "aaaa"))
        share_backend(store, two, Holder(202, "beta", "bbbb"))
        with pytest.raises(HTTPStatusError):
            one.get(server.url("/busy"))
        with pytest.raises(HTTPStatusError, match="seen by another daemon"):
            two.get(server.url("/b"))  # the other daemon: no request made
        one.close()
        two.close()
    assert server.count("/b") == 0
