"""Politeness, retries, Retry-After and stop: per-host manners of the Fetcher."""

from __future__ import annotations

import email.utils
import random
import socket
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest

from archiver.errors import FetchError, HTTPStatusError
from archiver.fetch import Fetcher
from archiver.fetch.politeness import parse_retry_after

from servers import (
    Handler,
    Request,
    Server,
    fetcher,
    never_answer,
    ok,
    respond,
    sequence,
    settings,
    status,
)


class Watch:
    """A handler that notes when each request started and how many ran at once."""

    def __init__(self, seconds: float = 0.0, body: bytes = b"ok") -> None:
        self.seconds = seconds
        self.body = body
        self.starts: list[float] = []
        self.active = 0
        self.most = 0
        self._lock = threading.Lock()

    def __call__(self, conn: socket.socket, request: Request, server: Server) -> None:
        with self._lock:
            self.starts.append(time.monotonic())
            self.active += 1
            self.most = max(self.most, self.active)
        try:
            server.closing.wait(self.seconds)
        finally:
            # counted down before answering: once the answer is out the client may send
            # the next request, which must not be seen as overlapping this one
            with self._lock:
                self.active -= 1
        respond(conn, 200, [("Content-Type", "text/html")], self.body)

    def gaps(self) -> list[float]:
        return [b - a for a, b in zip(self.starts, self.starts[1:], strict=False)]


def test_one_request_at_a_time_per_host() -> None:
    watch = Watch(seconds=0.1)
    with Server({"/a": watch}) as server, fetcher() as f:
        threads = [threading.Thread(target=f.get, args=(server.url("/a"),)) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
    assert len(watch.starts) == 4
    assert watch.most == 1


def test_different_hosts_are_fetched_at_the_same_time() -> None:
    barrier = threading.Barrier(2, timeout=3)

    def meet(conn: socket.socket, request: Request, server: Server) -> None:
        barrier.wait()  # breaks (and the request fails) unless both are in flight at once
        respond(conn, 200, [("Content-Type", "text/html")], b"ok")

    results: list[bytes] = []
    with Server({"/": meet}) as one, Server({"/": meet}) as two, fetcher() as f:
        threads = [
            threading.Thread(target=lambda u=u: results.append(f.get(u).content))
            for u in (one.url("/"), two.url("/"))
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
    assert results == [b"ok", b"ok"]


def test_requests_to_one_host_are_delay_apart() -> None:
    watch = Watch()
    with Server({"/a": watch}) as server, fetcher(delay=0.3) as f:
        for _ in range(3):
            f.get(server.url("/a"))
    assert len(watch.starts) == 3
    assert all(gap >= 0.3 for gap in watch.gaps())


def test_5xx_is_retried_and_then_succeeds() -> None:
    handler = sequence(status(503), status(502), ok(b"third time"))
    with Server({"/": handler}) as server, fetcher(retries=2) as f:
        got = f.get(server.url("/"))
    assert got.content == b"third time"
    assert [r.status for r in got.requests] == [503, 502, 200]


@pytest.mark.parametrize("code", [408, 429, 500, 503])
def test_retryable_status_gives_up_after_retries(code: int) -> None:
    with (
        Server({"/": status(code)}) as server,
        fetcher(retries=2) as f,
        pytest.raises(HTTPStatusError) as info,
    ):
        f.get(server.url("/"))
    assert info.value.status == code
    assert server.count("/") == 3


@pytest.mark.parametrize("code", [403, 404, 410])
def test_client_errors_are_not_retried(code: int) -> None:
    with (
        Server({"/": status(code)}) as server,
        fetcher(retries=2) as f,
        pytest.raises(HTTPStatusError),
    ):
        f.get(server.url("/"))
    assert server.count("/") == 1


def test_429_retry_after_seconds_is_waited_for_then_retried() -> None:
    watch = Watch(body=b"finally")
    handler = sequence(status(429, [("Retry-After", "1")]), watch)
    with Server({"/": handler}) as server:
        f = Fetcher(settings(), backoff=0.05, rand=random.Random(1))
        started = time.monotonic()
        with f:
            got = f.get(server.url("/"))
    assert got.content == b"finally"
    assert watch.starts[0] - started >= 1.0  # no request before Retry-After
    assert [r.status for r in got.requests] == [429, 200]


def test_long_retry_after_date_blocks_the_host_and_is_reported() -> None:
    later = datetime.now(UTC) + timedelta(hours=1)
    header = email.utils.format_datetime(later, usegmt=True)
    routes: dict[str, Handler] = {"/a": status(503, [("Retry-After", header)]), "/b": ok(b"b")}
    with Server(routes) as server, fetcher(retries=2) as f:
        with pytest.raises(HTTPStatusError) as first:
            f.get(server.url("/a"))
        with pytest.raises(HTTPStatusError) as second:
            f.get(server.url("/b"))  # same host: no request before Retry-After
    assert server.paths() == ["/a"]
    assert first.value.status == 503
    ra = first.value.retry_after
    assert ra is not None and later - timedelta(seconds=2) <= ra <= later + timedelta(minutes=6)
    assert second.value.retry_after == ra
    assert second.value.requests == ()  # nothing was sent
    assert "Retry-After" in str(second.value)


def test_retry_after_is_capped_at_a_day() -> None:
    with (
        Server({"/": status(429, [("Retry-After", "999999999")])}) as server,
        fetcher() as f,
        pytest.raises(HTTPStatusError) as info,
    ):
        f.get(server.url("/"))
    ra = info.value.retry_after
    assert ra is not None
    assert ra <= datetime.now(UTC) + timedelta(hours=24, minutes=6)
    assert ra >= datetime.now(UTC) + timedelta(hours=23)


def test_parse_retry_after_forms() -> None:
    now = datetime(2026, 1, 30, 12, 0, tzinfo=UTC)
    assert parse_retry_after("120", now) == now + timedelta(minutes=2)
    assert parse_retry_after("Fri, 30 Jan 2026 13:00:00 GMT", now) == now + timedelta(hours=1)
    assert parse_retry_after("Thu, 29 Jan 2026 13:00:00 GMT", now) == now  # in the past
    assert parse_retry_after("99999999", now) == now + timedelta(hours=24)
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None


def test_stop_ends_a_politeness_wait_promptly() -> None:
    stop = threading.Event()
    with Server({"/a": ok(b"a")}) as server:
        f = Fetcher(settings(delay=30.0), stop=stop)
        with f:
            f.get(server.url("/a"))
            threading.Timer(0.3, stop.set).start()
            started = time.monotonic()
            with pytest.raises(FetchError, match="stopped"):
                f.get(server.url("/a"))  # would wait 30 s for its turn
            took = time.monotonic() - started
    assert took < 2.0
    assert server.count("/a") == 1


def test_stop_ends_a_retry_backoff_and_refuses_new_work() -> None:
    stop = threading.Event()
    with (
        Server({"/": status(503)}) as server,
        Fetcher(settings(retries=2), stop=stop, backoff=30.0) as f,
    ):
        threading.Timer(0.3, stop.set).start()
        started = time.monotonic()
        with pytest.raises(FetchError, match="stopped") as info:
            f.get(server.url("/"))
        assert time.monotonic() - started < 2.0
        assert [r.status for r in info.value.requests] == [503]
        with pytest.raises(FetchError, match="stopped"):
            f.get(server.url("/"))
    assert server.count("/") == 1


def test_stop_ends_a_request_in_flight_promptly() -> None:
    stop = threading.Event()
    with Server({"/": never_answer}) as server, Fetcher(settings(timeout=20.0), stop=stop) as f:
        threading.Timer(0.3, stop.set).start()
        started = time.monotonic()
        with pytest.raises(FetchError, match="stopped") as info:
            f.get(server.url("/"))
        took = time.monotonic() - started
    assert took < 2.0
    assert len(info.value.requests) == 1  # not retried


def test_a_slow_but_steady_server_is_waited_for() -> None:
    with Server({"/": Watch(seconds=1.2, body=b"late but fine")}) as server, fetcher() as f:
        assert f.get(server.url("/")).content == b"late but fine"
