"""robots.txt, read the way RFC 9309 says, parsed by protego, cached per origin.

* 2xx: the rules apply (to our product token, else to ``*``); Crawl-delay is returned so the
  caller can space requests to the host by it when it is larger than the configured delay.
* 4xx (or too many redirects): no robots.txt, everything is allowed.
* 5xx, 429, a timeout or a broken connection: the site is unreachable, so nothing is
  fetched for now; this is cached for a shorter while and tried again.
* A private address or a stop request is not a robots answer: it is raised to the caller.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from protego import Protego

from archiver.errors import (
    BadRedirect,
    ConnectFailed,
    FetchError,
    FetchTimeout,
    HTTPStatusError,
    RobotsDisallowed,
    TooLarge,
)
from archiver.models import RequestRecord

ROBOTS_TTL = 3600.0  # seconds a robots.txt answer is kept (RFC 9309: at most 24 h)
UNREACHABLE_TTL = 600.0  # seconds an unreachable robots.txt keeps the host closed
ROBOTS_MAX_BYTES = 512 * 1024  # RFC 9309: parse at least 500 KiB

# fetch(robots_url, records) -> body; raises FetchError subclasses
RobotsFetch = Callable[[str, list[RequestRecord]], bytes]


def product_token(user_agent: str) -> str:
    """``archiver/0.1 (+https://...)`` -> ``archiver`` (what robots.txt groups name)."""
    first = user_agent.strip().split(None, 1)[0] if user_agent.strip() else "*"
    return first.split("/", 1)[0].lower() or "*"


def robots_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), "/robots.txt", "", ""))


@dataclass(frozen=True)
class _Answer:
    expires: float  # monotonic
    rules: Protego | None  # None: everything allowed, or (with ``closed``) nothing
    closed: str | None = None  # why nothing may be fetched for now

    def crawl_delay(self, token: str) -> float | None:
        if self.rules is None:
            return None
        return self.rules.crawl_delay(token)


class RobotsCache:
    def __init__(
        self,
        user_agent: str,
        fetch: RobotsFetch,
        *,
        ttl: float = ROBOTS_TTL,
        unreachable_ttl: float = UNREACHABLE_TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.token = product_token(user_agent)
        self.fetch = fetch
        self.ttl = ttl
        self.unreachable_ttl = unreachable_ttl
        self.clock = clock
        self._answers: dict[str, _Answer] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def check(self, url: str, records: list[RequestRecord]) -> float | None:
        """Raise RobotsDisallowed unless ``url`` may be fetched; return the Crawl-delay."""
        answer = self._answer(robots_url(url), records)
        if answer.closed:
            raise RobotsDisallowed(answer.closed, url=url, unreachable=True)
        if answer.rules is not None and not answer.rules.can_fetch(url, self.token):
            host = urlsplit(url).netloc
            raise RobotsDisallowed(f"robots.txt of {host} disallows {url}", url=url)
        return answer.crawl_delay(self.token)

    def _answer(self, where: str, records: list[RequestRecord]) -> _Answer:
        with self._lock:
            lock = self._locks.setdefault(where, threading.Lock())
        with lock:  # one robots.txt request per origin at a time
            answer = self._answers.get(where)
            if answer is None or answer.expires <= self.clock():
                answer = self._load(where, records)
                self._answers[where] = answer
            return answer

    def _load(self, where: str, records: list[RequestRecord]) -> _Answer:
        host = urlsplit(where).netloc
        try:
            body = self.fetch(where, records)
        except HTTPStatusError as exc:
            if exc.retry_after is not None:
                raise  # the host asked us to wait: that applies to the page as well
            if 400 <= exc.status < 500 and exc.status != 429:
                return _Answer(self.clock() + self.ttl, None)
            why = f"HTTP {exc.status}"
        except BadRedirect:
            return _Answer(self.clock() + self.ttl, None)
        except (FetchTimeout, ConnectFailed, TooLarge) as exc:
            why = str(exc)
        except FetchError:
            raise  # private address, stopped, bad URL: not an answer about robots
        else:
            rules = Protego.parse(body.decode("utf-8", errors="replace"))
            return _Answer(self.clock() + self.ttl, rules)
        closed = f"robots.txt of {host} could not be read ({why}); not fetching for now"
        return _Answer(self.clock() + self.unreachable_ttl, None, closed)
