"""The one module that speaks HTTP (the only importer of httpx besides its helpers).

``Fetcher.get(url)`` returns a ``Fetched`` whose body was read in full within the caps, or
raises a ``FetchError`` whose ``requests`` list every HTTP request made on the way. What it
guarantees, per call:

* the body is streamed and its *decoded* size capped (``max_bytes``; ``sitemap_max_bytes``
  for ``kind="sitemap"``), whatever Content-Length and Content-Encoding claim;
* every HTTP request ends by a wall-clock deadline of ``timeout`` seconds, however slowly
  the server drips;
* redirects are followed by hand: at most ``max_redirects``, http and https only, no loops;
* every connection goes to an address checked by ``netguard`` (no loopback, private or
  link-local address unless ``allow_private``), at every hop;
* politeness: one request at a time per host, ``delay`` (or the robots Crawl-delay) apart,
  nothing before a Retry-After; robots.txt obeyed;
* up to ``retries`` retries on connection errors, 408, 429 and 5xx, with backoff;
* a conditional GET when validators are given: a 304 comes back as ``status == 304``
  with empty content.

Each HTTP request has its own deadline; waiting for a host's turn is not counted in it but
ends at once when ``stop`` is set.
"""

from __future__ import annotations

import http
import io
import random
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from urllib.parse import urljoin, urlsplit

import httpx

from archiver.config import HttpSettings
from archiver.errors import (
    BadRedirect,
    ConnectFailed,
    FetchError,
    FetchTimeout,
    HTTPStatusError,
    TooLarge,
)
from archiver.fetch.codings import CHUNK, DecodeError, RawReader, decoding_reader, is_identity
from archiver.fetch.headers import charset, freshness
from archiver.fetch.netguard import (
    Deadline,
    PinnedBackend,
    PinnedTransport,
    Resolver,
    check_literal,
    screen,
)
from archiver.fetch.politeness import HostGate, SharedSlots, parse_retry_after, pause, stopped
from archiver.fetch.robots import ROBOTS_MAX_BYTES, RobotsCache
from archiver.models import Fetched, RequestRecord
from archiver.timeutil import utcnow

REDIRECTS = frozenset({301, 302, 303, 307, 308})
ACCEPT = {
    "page": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8",
    "feed": "application/rss+xml,application/atom+xml,application/xml;q=0.9,"
    "text/xml;q=0.9,*/*;q=0.8",
    "sitemap": "application/xml,text/xml;q=0.9,*/*;q=0.8",
}
ACCEPT_ENCODING = "gzip, deflate, br, zstd"
_TRANSIENT = (httpx.ConnectError, httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError)
# what a hostile URL, Location or body can still make httpx, idna or urllib raise
_UNEXPECTED = (httpx.HTTPError, httpx.InvalidURL, DecodeError, ValueError, LookupError, OSError)


@dataclass
class _Response:
    url: str
    status: int
    headers: httpx.Headers
    content: bytes
    request_headers: tuple[tuple[str, str], ...] = ()


@dataclass
class _Tally:
    status: int | None = None
    bytes: int = 0


class Fetcher:
    """Polite, bounded HTTP GETs. Thread-safe; share one per process."""

    def __init__(
        self,
        settings: HttpSettings,
        *,
        transport: httpx.BaseTransport | None = None,
        resolver: Resolver | None = None,
        stop: threading.Event | None = None,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = utcnow,
        rand: random.Random | None = None,
        backoff: float = 0.5,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        """``transport``: an httpx transport to use instead of the pinned one (tests); the
        address check then runs on ``resolver``'s answer when a resolver is given, else on IP
        literals only. ``resolver``: host name -> addresses (default: the system's).
        ``stop``: set it to end every wait at once (FetchError "stopped"). ``clock``, ``now``,
        ``rand``: monotonic seconds, aware UTC time and jitter. ``backoff``: first retry
        pause in seconds (doubles). ``ssl_context``: certificates to trust (default: the
        system's)."""
        self.settings = settings
        self.stop = stop or threading.Event()
        self.clock = clock
        self.now = now
        self.rand = rand or random.Random()
        self.backoff = backoff
        self.max_wait = min(settings.timeout, 60.0)  # longest Retry-After waited for in a call
        self._deadline = Deadline(clock, self.stop)
        self._resolver = resolver if transport is not None else None
        if transport is None:
            backend = PinnedBackend(
                allow_private=settings.allow_private, resolver=resolver, deadline=self._deadline
            )
            transport = PinnedTransport(backend, ssl_context)
        self._client = httpx.Client(
            transport=transport,
            follow_redirects=False,
            trust_env=False,
            headers={"User-Agent": settings.user_agent, "Accept-Encoding": ACCEPT_ENCODING},
        )
        self._gate = HostGate(settings.delay, clock=clock, now=now, rand=self.rand)
        self._robots = RobotsCache(settings.user_agent, self._fetch_robots, clock=clock)

    # -- public ---------------------------------------------------------------------------

    def share_hosts(self, slots: SharedSlots) -> None:
        """Hold the per-host delay and Retry-After across processes through ``slots`` (host
        slots in a database every daemon shares, ``fetch.politeness.SharedSlots``). A slot
        this process took stays held for at most one request's deadline plus 15 s when the
        process dies holding it."""
        self._gate.share(slots, hold=self.settings.timeout + 15)

    def get(
        self,
        url: str,
        *,
        kind: str = "page",
        etag: str | None = None,
        last_modified: str | None = None,
        max_bytes: int | None = None,
    ) -> Fetched:
        started = self.clock()
        fetched_at = self.now()
        records: list[RequestRecord] = []
        if max_bytes is None:
            sitemap = kind == "sitemap"
            max_bytes = self.settings.sitemap_max_bytes if sitemap else self.settings.max_bytes
        headers = {"Accept": ACCEPT.get(kind, ACCEPT["page"])}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        try:
            if self.stop.is_set():
                raise stopped()
            resp = self._follow(
                url,
                headers,
                max_bytes,
                records,
                robots=self.settings.obey_robots,
                retries=self.settings.retries,
            )
            if resp.status != 304 and not 200 <= resp.status < 300:
                raise _status_error(resp.status, None, resp.url)
        except FetchError as exc:
            exc.requests = tuple(records)
            exc.url = exc.url or url
            raise
        except _UNEXPECTED as exc:  # the contract: nothing but a FetchError leaves get()
            error = FetchError(f"request failed: {_plain(str(exc) or type(exc).__name__)}", url=url)
            error.requests = tuple(records)
            raise error from exc
        h = resp.headers
        not_modified = resp.status == 304
        return Fetched(
            url=resp.url,
            requested_url=url,
            status=resp.status,
            content=b"" if not_modified else resp.content,
            headers=tuple(h.multi_items()),
            charset=charset(h.get("content-type")),
            etag=h.get("etag") or (etag if not_modified else None),
            last_modified=h.get("last-modified") or (last_modified if not_modified else None),
            fetched_at=fetched_at,
            elapsed_ms=int((self.clock() - started) * 1000),
            freshness=freshness(h, self.now()),
            requests=tuple(records),
            request_headers=resp.request_headers,
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- redirects, robots, retries -------------------------------------------------------

    def _follow(
        self,
        url: str,
        headers: dict[str, str],
        cap: int,
        records: list[RequestRecord],
        *,
        robots: bool,
        retries: int,
    ) -> _Response:
        seen: set[str] = set()
        current = url
        for _hop in range(self.settings.max_redirects + 1):
            self._check_url(current)
            if current in seen:
                raise BadRedirect(f"redirect loop: {current} was already visited", url=url)
            seen.add(current)
            if robots:
                delay = self._robots.check(current, records)
                self._gate.set_crawl_delay(host_key(current), delay)
            resp = self._attempts(current, headers, cap, records, retries)
            if resp.status not in REDIRECTS:
                return resp
            location = resp.headers.get("location", "").strip()
            if not location:
                raise HTTPStatusError(
                    f"HTTP {resp.status} redirect without a Location", status=resp.status
                )
            current = urljoin(current, location)
            scheme = urlsplit(current).scheme.lower()
            if scheme not in ("http", "https"):
                shown = current if len(current) <= 80 else current[:77] + "..."
                raise BadRedirect(
                    f"redirect to {shown} refused (only http and https are followed)", url=url
                )
        raise BadRedirect(f"too many redirects (more than {self.settings.max_redirects})", url=url)

    def _check_url(self, url: str) -> None:
        try:
            parts = urlsplit(url)
            host = parts.hostname
            _ = parts.port  # a port out of range raises here
        except ValueError:
            raise FetchError(f"invalid URL {url}", url=url) from None
        if parts.scheme.lower() not in ("http", "https"):
            raise FetchError(f"not an http or https URL: {url}", url=url)
        if not host:
            raise FetchError(f"no host in URL {url}", url=url)
        check_literal(host, allow_private=self.settings.allow_private)
        if self._resolver is not None and not self.settings.allow_private:
            screen(host, self._resolver(host), allow_private=False)
        try:
            _ = httpx.URL(url).host  # an undecodable xn-- label (IDNAError) raises here
        except (ValueError, httpx.InvalidURL):
            raise FetchError(f"invalid URL {url}", url=url) from None

    def _fetch_robots(self, url: str, records: list[RequestRecord]) -> bytes:
        headers = {"Accept": "text/plain,*/*;q=0.5"}
        resp = self._follow(url, headers, ROBOTS_MAX_BYTES, records, robots=False, retries=0)
        if not 200 <= resp.status < 300:
            raise _status_error(resp.status, None, url)
        return resp.content

    def _attempts(
        self,
        url: str,
        headers: dict[str, str],
        cap: int,
        records: list[RequestRecord],
        retries: int,
    ) -> _Response:
        attempt = 0
        while True:
            try:
                resp = self._once(url, headers, cap, records)
            except ConnectFailed as exc:
                if attempt >= retries or not isinstance(exc.__cause__, _TRANSIENT):
                    raise
                self._back_off(attempt)
                attempt += 1
                continue
            status = resp.status
            if status < 400:
                return resp
            retry_after = parse_retry_after(resp.headers.get("retry-after"), self.now())
            if retry_after is not None:
                retry_after = self._gate.block(host_key(url), retry_after, status)
            if (status in (408, 429) or status >= 500) and attempt < retries:
                if retry_after is None:
                    self._back_off(attempt)
                    attempt += 1
                    continue
                if (retry_after - self.now()).total_seconds() <= self.max_wait:
                    attempt += 1  # the host's slot waits out the Retry-After
                    continue
            raise _status_error(status, retry_after, url)

    def _back_off(self, attempt: int) -> None:
        pause(self.backoff * 2**attempt * self.rand.uniform(0.5, 1.5), self.stop)

    # -- one HTTP request -----------------------------------------------------------------

    def _once(
        self, url: str, headers: dict[str, str], cap: int, records: list[RequestRecord]
    ) -> _Response:
        with self._gate.slot(host_key(url), stop=self.stop, max_wait=self.max_wait):
            at = self.now()
            started = self.clock()
            tally = _Tally()
            error: str | None = None
            try:
                with self._deadline.until(started + self.settings.timeout):
                    return self._exchange(url, headers, cap, started, tally)
            except FetchError as exc:
                error = str(exc)
                raise
            finally:
                ms = int((self.clock() - started) * 1000)
                records.append(RequestRecord(url, at, tally.status, tally.bytes, ms, error))

    def _exchange(
        self, url: str, headers: dict[str, str], cap: int, started: float, tally: _Tally
    ) -> _Response:
        timeout = self.settings.timeout
        request = self._client.build_request(
            "GET", url, headers=headers, timeout=httpx.Timeout(timeout)
        )
        try:
            response = self._client.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise _transport_error(exc, url, timeout) from exc
        except (httpx.InvalidURL, ValueError) as exc:  # httpx reads Location even unasked
            raise BadRedirect(f"redirect to an unusable URL refused ({exc})", url=url) from exc
        try:
            tally.status = response.status_code
            content = b""
            if 200 <= response.status_code < 300:
                content = self._read_body(response, cap, started + timeout, tally)
            return _Response(
                url,
                response.status_code,
                response.headers,
                content,
                tuple(request.headers.multi_items()),
            )
        except httpx.HTTPError as exc:
            raise _transport_error(exc, url, timeout) from exc
        finally:
            response.close()

    def _read_body(
        self, response: httpx.Response, cap: int, deadline: float, tally: _Tally
    ) -> bytes:
        coding = response.headers.get("content-encoding")
        length = response.headers.get("content-length", "").strip()
        too_large = f"body larger than {_size(cap)} (decoded); aborted"
        if is_identity(coding) and length.isdigit() and int(length) > cap:
            raise TooLarge(f"body of {_size(int(length))} is larger than {_size(cap)}; refused")
        raw_cap = cap + cap // 16 + CHUNK  # compressed input never needs more than this

        def in_time() -> None:
            if self.stop.is_set():
                raise stopped()
            if self.clock() > deadline:
                raise _deadline_error(self.settings.timeout)

        def on_chunk(size: int) -> None:
            tally.bytes += size
            in_time()
            if tally.bytes > raw_cap:
                raise TooLarge(too_large)

        # BytesIO hands its buffer over in getvalue() (no copy): the body is held once
        body = io.BytesIO()
        try:
            reader = decoding_reader(RawReader(response.iter_raw(), on_chunk), coding, in_time)
            while piece := reader.read(min(CHUNK, cap + 1 - body.tell())):
                body.write(piece)
                if body.tell() > cap:
                    raise TooLarge(too_large)
                if self.clock() > deadline:
                    raise _deadline_error(self.settings.timeout)
        except DecodeError as exc:
            raise ConnectFailed(f"{exc} (Content-Encoding: {coding})") from exc
        return body.getvalue()


# -- helpers ------------------------------------------------------------------------------


def host_key(url: str) -> str:
    """``host:port`` of a URL: the unit of politeness."""
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    return f"{(parts.hostname or '').lower()}:{port}"


def _status_error(status: int, retry_after: datetime | None, url: str) -> HTTPStatusError:
    try:
        phrase = http.HTTPStatus(status).phrase
    except ValueError:
        phrase = ""
    message = f"HTTP {status} {phrase}".strip()
    if retry_after is not None:
        message += f" (retry after {retry_after:%Y-%m-%d %H:%M:%S} UTC)"
    return HTTPStatusError(message, url=url, status=status, retry_after=retry_after)


def _deadline_error(timeout: float) -> FetchTimeout:
    return FetchTimeout(f"timed out: no complete answer within {timeout:g} s")


def _transport_error(exc: httpx.HTTPError, url: str, timeout: float) -> FetchError:
    host = urlsplit(url).netloc
    reason = str(exc) or type(exc).__name__
    if isinstance(exc, httpx.ConnectTimeout):
        return FetchTimeout(f"timed out connecting to {host} (limit {timeout:g} s)", url=url)
    if isinstance(exc, httpx.TimeoutException):
        return _deadline_error(timeout)
    if isinstance(exc, httpx.ConnectError):
        return ConnectFailed(f"could not connect to {host}: {_plain(reason)}", url=url)
    if isinstance(exc, httpx.RemoteProtocolError):
        return ConnectFailed(f"broken HTTP from {host}: {_plain(reason)}", url=url)
    if isinstance(exc, httpx.ReadError | httpx.WriteError):
        return ConnectFailed(f"connection to {host} broken: {_plain(reason)}", url=url)
    return ConnectFailed(f"request to {host} failed: {_plain(reason)}", url=url)


def _plain(reason: str) -> str:
    """``[Errno 111] Connection refused`` -> ``connection refused``."""
    if reason.startswith("[Errno"):
        reason = reason.split("]", 1)[-1]
    reason = reason.strip()
    return reason[:1].lower() + reason[1:200] if reason else "unknown error"


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):g} MiB"
    if n >= 1024:
        return f"{n / 1024:g} KiB"
    return f"{n} bytes"
