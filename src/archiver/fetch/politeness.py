"""Per-host manners: one request at a time, ``delay`` apart, and no request before Retry-After.

Thread-safe: the daemon polls several sources from worker threads, and two sources may share
a host. A thread holds a host's slot for the whole request, so requests to one host are
serial; the next one starts at least ``delay`` seconds (or the host's Crawl-delay, when
larger) after the previous one ended. Every wait ends promptly when ``stop`` is set.
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

from archiver.errors import FetchError, HTTPStatusError
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
            try:
                yield
            finally:
                host.next_at = self.clock() + self.host_delay(key)
        finally:
            host.lock.release()
