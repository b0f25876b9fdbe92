"""Where a request may connect: the private-address guard, name resolution and pinned sockets.

The check runs on the address the socket is actually opened to, at every connection (so at
every redirect hop and after every DNS answer): the connection is pinned to the checked IP,
while httpcore keeps the URL's host name for the Host header and for TLS SNI and certificate
checks. Host names are resolved here, not by the socket library, so a name that resolves to
loopback is refused like a literal ``127.0.0.1``, and so are the odd literal forms
(``2130706433``, ``0x7f000001``, ``0177.0.0.1``, ``127.1``, ``::ffff:127.0.0.1``).

Also here: the per-request wall-clock deadline. httpx's timeouts apply to each read, so a
server dripping one byte at a time can hold a request far past its timeout; the streams
handed to httpcore clamp every connect, read and write to what is left of the deadline.
"""

from __future__ import annotations

import contextlib
import ipaddress
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, TypeVar

import httpcore
import httpx

from archiver.errors import ConnectFailed, FetchError, FetchTimeout, PrivateAddress

Resolver = Callable[[str], list[str]]
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

T = TypeVar("T")
SLICE = 0.25  # seconds: how often a blocked read or name lookup looks at ``stop``
CONNECT_SLICE = 3.0  # a connect is restarted this often (long enough for slow links)
ALLOW_HINT = "set http.allow_private = true to allow"
_INET_ATON_CHARS = re.compile(r"^[0-9a-fA-FxX.]+$")


def parse_ip(host: str) -> IPAddress | None:
    """The address a host written as an IP literal stands for, in any form a resolver accepts.

    Dotted quads, IPv6 (with or without brackets), and the inet_aton forms that browsers and
    libc accept: ``2130706433``, ``0x7f000001``, ``0177.0.0.1``, ``127.1``. None for a name.
    """
    text = host.strip().rstrip(".").strip("[]")
    if not text:
        return None
    try:
        return ipaddress.ip_address(text.split("%", 1)[0])
    except ValueError:
        pass
    if _INET_ATON_CHARS.match(text):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(text))
        except OSError:
            return None
    return None


_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # well-known prefix: an IPv4 address inside
_GLOBAL_UNICAST = ipaddress.IPv6Network("2000::/3")
_IETF_V4 = ipaddress.IPv4Network("192.0.0.0/24")  # protocol assignments (192.0.0.8 and kin)


def is_public(ip: IPAddress) -> bool:
    """True for a globally routable unicast address; False for loopback, private, link-local,
    unspecified (0.0.0.0, ::), multicast, reserved and shared ranges, IPv4-mapped included.

    IPv6 must be global unicast (2000::/3), so IPv4-compatible ``::a.b.c.d``,
    ``::ffff:0:a.b.c.d``, site-local ``fec0::/10`` and the like are refused; an address that
    carries an IPv4 one (mapped, 6to4, Teredo, NAT64 ``64:ff9b::/96``) is judged by it."""
    if isinstance(ip, ipaddress.IPv6Address):
        mapped = ip.ipv4_mapped or ip.sixtofour
        if mapped is not None:
            return is_public(mapped)
        if ip.teredo is not None:
            return is_public(ip.teredo[1])
        if ip in _NAT64:
            return is_public(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        if ip not in _GLOBAL_UNICAST:
            return False
    elif ip in _IETF_V4:
        return False
    if ip.is_multicast or ip.is_unspecified or ip.is_loopback or ip.is_link_local:
        return False
    return ip.is_global


def private_message(host: str, ip: IPAddress | str) -> str:
    if str(ip) == host.strip("[]"):
        return f"private address {ip} refused ({ALLOW_HINT})"
    return f"{host} is at private address {ip}; refused ({ALLOW_HINT})"


def check_literal(host: str, *, allow_private: bool) -> None:
    """Refuse a host written as a private IP literal, before anything else is done with it."""
    ip = parse_ip(host)
    if ip is not None and not allow_private and not is_public(ip):
        raise PrivateAddress(private_message(host, ip))


def screen(host: str, candidates: list[str], *, allow_private: bool) -> list[str]:
    """The addresses of ``host`` a connection may use; PrivateAddress if there are none."""
    if allow_private:
        return candidates
    allowed = [a for a in candidates if (ip := parse_ip(a)) is not None and is_public(ip)]
    if not allowed:
        raise PrivateAddress(private_message(host, candidates[0] if candidates else host))
    return allowed


def system_resolve(host: str) -> list[str]:
    """The addresses the system resolver gives for a name, in its order, without repeats."""
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise ConnectFailed(f"cannot resolve {host}: {exc}") from exc
    seen: list[str] = []
    for info in infos:
        address = str(info[4][0])
        if address not in seen:
            seen.append(address)
    return seen


class Deadline:
    """The wall-clock deadline of the request running in this thread (monotonic seconds),
    and the ``stop`` event that ends any wait at once."""

    def __init__(
        self, clock: Callable[[], float] = time.monotonic, stop: threading.Event | None = None
    ) -> None:
        self._local = threading.local()
        self.clock = clock
        self.stop = stop or threading.Event()

    @contextlib.contextmanager
    def until(self, deadline: float) -> Iterator[None]:
        previous = getattr(self._local, "at", None)
        self._local.at = deadline
        try:
            yield
        finally:
            self._local.at = previous

    def remaining(self) -> float | None:
        at: float | None = getattr(self._local, "at", None)
        return None if at is None else at - self.clock()

    def clamp(self, timeout: float | None, error: type[Exception]) -> float | None:
        """``timeout`` cut to what is left; ``error`` when nothing is left."""
        if self.stop.is_set():
            raise FetchError("stopped")
        left = self.remaining()
        if left is None:
            return timeout
        if left <= 0:
            raise error("deadline passed")
        return left if timeout is None else min(timeout, left)

    def sliced(
        self,
        step: Callable[[float], T],
        timeout: float | None,
        error: type[Exception],
        piece: float = SLICE,
    ) -> T:
        """Run ``step(t)`` in slices of at most ``piece`` seconds until it ends, the timeout
        or the deadline passes (``error``), or ``stop`` is set (FetchError "stopped").
        ``step`` must be safe to repeat after it timed out (a socket recv or connect is)."""
        end = None if timeout is None else self.clock() + timeout
        while True:
            left = None if end is None else end - self.clock()
            if left is not None and left <= 0:
                raise error("timed out")
            limit = self.clamp(left, error)
            try:
                return step(piece if limit is None else min(limit, piece))
            except error:
                if self.stop.is_set():
                    raise FetchError("stopped") from None
                if limit is not None and limit <= piece:
                    raise


class DeadlineStream(httpcore.NetworkStream):
    """A network stream whose every operation ends by the request's deadline or its stop."""

    def __init__(self, inner: httpcore.NetworkStream, deadline: Deadline) -> None:
        self._inner = inner
        self._deadline = deadline

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._deadline.sliced(
            lambda t: self._inner.read(max_bytes, t), timeout, httpcore.ReadTimeout
        )

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._deadline.clamp(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        timeout = self._deadline.clamp(timeout, httpcore.ConnectTimeout)
        return DeadlineStream(
            self._inner.start_tls(ssl_context, server_hostname, timeout), self._deadline
        )

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class PinnedBackend(httpcore.NetworkBackend):
    """Resolves the host itself, checks each address, connects to a checked IP only."""

    def __init__(
        self,
        *,
        allow_private: bool,
        resolver: Resolver | None = None,
        deadline: Deadline | None = None,
        tcp: httpcore.NetworkBackend | None = None,
    ) -> None:
        """``tcp`` opens the socket to a checked IP (default: httpcore's own backend)."""
        self.allow_private = allow_private
        self.resolver = resolver or system_resolve
        self.deadline = deadline or Deadline()
        self._tcp = tcp or httpcore.SyncBackend()
        self._dns = ThreadPoolExecutor(max_workers=4, thread_name_prefix="archiver-dns")

    def addresses(self, host: str, timeout: float | None = None) -> list[str]:
        """The addresses a connection to ``host`` may use; PrivateAddress if none may."""
        literal = parse_ip(host)
        if literal is not None:
            candidates = [str(literal)]
        else:
            future = self._dns.submit(self.resolver, host)
            try:
                candidates = self.deadline.sliced(future.result, timeout, FutureTimeout)
            except FutureTimeout:
                future.cancel()
                raise FetchTimeout(f"timed out resolving {host}") from None
            if not candidates:
                raise ConnectFailed(f"cannot resolve {host}: no address")
        return screen(host, candidates, allow_private=self.allow_private)

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        timeout = self.deadline.clamp(timeout, httpcore.ConnectTimeout)
        options = list(socket_options or [])
        last: Exception | None = None
        for address in self.addresses(host, timeout):

            def connect(seconds: float, address: str = address) -> httpcore.NetworkStream:
                return self._tcp.connect_tcp(address, port, seconds, local_address, options)

            try:
                stream = self.deadline.sliced(
                    connect,
                    self.deadline.clamp(timeout, httpcore.ConnectTimeout),
                    httpcore.ConnectTimeout,
                    CONNECT_SLICE,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
                continue
            return DeadlineStream(stream, self.deadline)
        assert last is not None
        raise last

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        raise ConnectFailed("unix sockets are not used")

    def close(self) -> None:
        self._dns.shutdown(wait=False, cancel_futures=True)


class PinnedTransport(httpx.HTTPTransport):
    """httpx's own transport over a ``PinnedBackend`` (no proxies, no environment)."""

    def __init__(self, backend: PinnedBackend, ssl_context: ssl.SSLContext | None = None) -> None:
        """``ssl_context``: the certificates to trust (default: the system's)."""
        super().__init__(trust_env=False)
        self.backend = backend
        ssl_context = ssl_context or httpx.create_ssl_context(trust_env=False)
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context,
            max_connections=100,
            max_keepalive_connections=20,
            keepalive_expiry=5.0,
            network_backend=backend,
        )

    def close(self) -> None:
        super().close()
        self.backend.close()
