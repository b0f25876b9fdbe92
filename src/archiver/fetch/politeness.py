"""Per-host manners: one request at a time, ``delay`` apart, and no request before Retry-After.

Thread-safe: the daemon polls several sources from worker threads, and two sources may share
a host. A thread holds a host's slot for the whole request, so requests to one host are
serial; the next one starts at least ``delay`` seconds (or the host's Crawl-delay, when
larger) after the previous one ended. Every wait ends promptly when ``stop`` is set.

Across processes and machines (several daemons on one PostgreSQL archive) a ``SharedSlots``
(the store side implements it: ``store.pg.slots``) plugged in with ``Fetcher.share_hosts()``
holds the same rule in the archive: a request also takes the host's shared slot, and the
next one, from any daemon, starts ``delay`` after it ended; a Retry-After block is shared.
"""

from __future__ import annotations

import contextlib
import email.utils
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from archiver.errors import ArchiverError, FetchError, HTTPStatusError
from archiver.timeutil import utcnow

MAX_RETRY_AFTER = timedelta(hours=24)
MAX_CRAWL_DELAY = 60.0  # seconds; a larger Crawl-delay is taken as this
_POLL = 0.2  # seconds between looks at ``stop`` while queued for a host


def stopped() -> FetchError:
    return FetchError("stopped")


def pause(seconds: float, stop: threading.Event) -> None:
    """Sleep, or raise FetchError("stopped") as soon as ``stop`` is set."""
    if stop.is_set() or (seconds > 0 and stop.wait(seconds)):
        raise stopped()


def parse_retry_after(value: str | None, now: datetime) -> datetime | None:
    """Retry-After as an aware UTC time (seconds or an HTTP date), capped at 24 h from now."""
    if not value:
        return None
    text = value.strip()
    when: datetime | None
    if text.isdigit():
        when = now + min(timedelta(seconds=int(text[:12])), MAX_RETRY_AFTER)
    else:
        try:
            when = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when is None:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
    return max(now, min(when.astimezone(UTC), now + MAX_RETRY_AFTER))


class SharedSlots(Protocol):
    """Host slots reserved in a database all the daemons share (``store.pg.slots``)."""

    def acquire(self, key: str, hold: float) -> float:
        """Take ``key``'s slot for at most ``hold`` seconds: 0.0 when taken, else the
        seconds until it may be free."""

    def release(self, key: str, delay: float) -> None:
        """Give the slot back; the next request may start ``delay`` seconds from now."""

    def block(self, key: str, until: datetime) -> None:
        """No request to ``key`` from any daemon before ``until`` (Retry-After)."""


@dataclass
class _Host:
    lock: threading.Lock = field(default_factory=threading.Lock)
    next_at: float = 0.0  # monotonic time the next request may start
    crawl_delay: float = 0.0
    blocked_at: float = 0.0  # monotonic end of a Retry-After block
    blocked_until: datetime | None = None
    blocked_status: int = 503


class HostGate:
    """The politeness state of every host seen (keyed by ``host:port``)."""

    def __init__(
        self,
        delay: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = utcnow,
        rand: random.Random | None = None,
    ) -> None:
        self.delay = delay
        self.clock = clock
        self.now = now
        self.rand = rand or random.Random()
        self._hosts: dict[str, _Host] = {}
        self._lock = threading.Lock()
        self.shared: SharedSlots | None = None
        self.hold = 300.0  # seconds a shared slot stays ours if this process dies holding it

    def share(self, slots: SharedSlots, *, hold: float) -> None:
        """Hold every host's delay and Retry-After across processes through ``slots``."""
        self.shared, self.hold = slots, hold

    def _host(self, key: str) -> _Host:
        with self._lock:
            return self._hosts.setdefault(key, _Host())

    def set_crawl_delay(self, key: str, seconds: float | None) -> None:
        self._host(key).crawl_delay = min(max(seconds or 0.0, 0.0), MAX_CRAWL_DELAY)

    def host_delay(self, key: str) -> float:
        return max(self.delay, self._host(key).crawl_delay)

    def block(self, key: str, until: datetime, status: int) -> datetime:
        """No request to ``key`` before ``until`` plus a little jitter; returns the end."""
        host = self._host(key)
        wait = max((until - self.now()).total_seconds(), 0.0)
        wait += self.rand.uniform(0.0, min(max(1.0, wait * 0.1), 300.0))
        end = self.now() + timedelta(seconds=wait)
        with self._lock:
            if host.blocked_until is None or end > host.blocked_until:
                host.blocked_until = end
                host.blocked_at = self.clock() + wait
                host.blocked_status = status
        if self.shared is not None:
            self.shared.block(key, end)
        return end

    def blocked(self, key: str) -> tuple[float, datetime | None, int]:
        """Seconds left of a Retry-After block on ``key`` (0 when none), its end, its status."""
        host = self._host(key)
        left = host.blocked_at - self.clock()
        if left <= 0:
            return 0.0, None, host.blocked_status
        return left, host.blocked_until, host.blocked_status

    @contextlib.contextmanager
    def slot(self, key: str, *, stop: threading.Event, max_wait: float) -> Iterator[None]:
        """Hold ``key`` for one request: queue behind others, wait out delay and Retry-After.

        Raises HTTPStatusError (no request made) when the host asked us to stay away for
        longer than ``max_wait`` seconds, and FetchError("stopped") when ``stop`` is set.
        """
        host = self._host(key)
        while not host.lock.acquire(timeout=_POLL):
            if stop.is_set():
                raise stopped()
        try:
            while True:
                left, until, status = self.blocked(key)
                if left > max_wait and until is not None:
                    raise HTTPStatusError(
                        f"{key} asked us to wait until {until:%Y-%m-%d %H:%M:%S} UTC "
                        f"(HTTP {status}, Retry-After); no request made",
                        status=status,
                        retry_after=until,
                    )
                wait = max(host.next_at - self.clock(), left, 0.0)
                if wait <= 0:
                    break
                pause(wait, stop)
            if stop.is_set():
                raise stopped()
            if self.shared is not None:
                self._take_shared(key, stop, max_wait)
            try:
                yield
            finally:
                host.next_at = self.clock() + self.host_delay(key)
                if self.shared is not None:
                    with contextlib.suppress(ArchiverError):  # else it frees after ``hold``
                        self.shared.release(key, self.host_delay(key))
        finally:
            host.lock.release()

    def _take_shared(self, key: str, stop: threading.Event, max_wait: float) -> None:
        """Wait for ``key``'s shared slot (another daemon's request, delay, Retry-After)."""
        assert self.shared is not None
        while True:
            wait = self.shared.acquire(key, self.hold)
            if wait <= 0:
                return
            if wait > max_wait:
                until = self.now() + timedelta(seconds=wait)
                raise HTTPStatusError(
                    f"{key} asked us to wait until {until:%Y-%m-%d %H:%M:%S} UTC "
                    "(Retry-After, seen by another daemon); no request made",
                    status=503,
                    retry_after=until,
                )
            pause(min(wait, 1.0), stop)
