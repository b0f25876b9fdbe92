"""Real HTTP servers on 127.0.0.1 for tests, including ones that break HTTP on purpose.

``Server`` speaks just enough HTTP/1.1 over a raw socket to let a handler do anything to a
connection: answer properly, never answer, drip, send forever, reset, lie about
Content-Length, send compression bombs. One request per connection (``Connection: close``).

    with Server({"/feed": ok(b"<rss/>"), "/slow": drip()}) as server:
        fetcher.get(server.url("/slow"))
        assert server.paths() == ["/slow"]

Handlers get ``(conn, request, server)``; a handler that waits must wait on
``server.closing`` so that the server stops promptly.
"""

from __future__ import annotations

import functools
import socket
import ssl
import struct
import threading
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import TracebackType

import brotli
import zstandard

from archiver.config import HttpSettings
from archiver.fetch import Fetcher


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)  # lower-cased names


Handler = Callable[[socket.socket, Request, "Server"], None]


class Server:
    def __init__(
        self, routes: dict[str, Handler] | None = None, *, tls: ssl.SSLContext | None = None
    ) -> None:
        self.routes: dict[str, Handler] = dict(routes or {})
        self.tls = tls  # serve https with this (server-side) context
        self.requests: list[Request] = []
        self.connections = 0
        self.closing = threading.Event()
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self._sock.settimeout(0.05)
        self.port: int = self._sock.getsockname()[1]
        self._acceptor = threading.Thread(target=self._accept, daemon=True)

    # -- lifecycle ------------------------------------------------------------------------

    def __enter__(self) -> Server:
        self._acceptor.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self.closing.set()
        if self._acceptor.is_alive():
            self._acceptor.join(timeout=2)
        self._sock.close()
        for thread in list(self._threads):
            thread.join(timeout=2)

    # -- what tests look at ---------------------------------------------------------------

    @property
    def origin(self) -> str:
        scheme = "https" if self.tls else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

    def url(self, path: str = "/") -> str:
        return self.origin + path

    def paths(self) -> list[str]:
        with self._lock:
            return [r.path for r in self.requests]

    def count(self, path: str) -> int:
        return self.paths().count(path)

    # -- serving --------------------------------------------------------------------------

    def _accept(self) -> None:
        while not self.closing.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self.connections += 1
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            conn.settimeout(5)
            if self.tls is not None:
                conn = self.tls.wrap_socket(conn, server_side=True)
            request = _read_request(conn)
            if request is None:
                return
            with self._lock:
                self.requests.append(request)
            handler = self.routes.get(request.path) or self.routes.get(
                request.path.split("?", 1)[0], not_found
            )
            handler(conn, request, self)
        except OSError:
            pass
        finally:
            conn.close()


def _read_request(conn: socket.socket) -> Request | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
        if len(data) > 65536:
            return None
    head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    lines = head.split("\r\n")
    method, path, _version = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return Request(method, path, headers)


def head(status: int, headers: Iterable[tuple[str, str]] = (), reason: str = "X") -> bytes:
    lines = [f"HTTP/1.1 {status} {reason}", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def respond(
    conn: socket.socket, status: int, headers: Iterable[tuple[str, str]], body: bytes = b""
) -> None:
    all_headers = [*headers, ("Content-Length", str(len(body)))]
    conn.sendall(head(status, all_headers) + body)


# -- handler factories ------------------------------------------------------------------------


def ok(body: bytes, *, status: int = 200, headers: Iterable[tuple[str, str]] = ()) -> Handler:
    fixed = list(headers) or [("Content-Type", "text/html; charset=utf-8")]

    def handler(conn: socket.socket, request: Request, server: Server) -> None:
        respond(conn, status, fixed, body)

    return handler


def not_found(conn: socket.socket, request: Request, server: Server) -> None:
    respond(conn, 404, [("Content-Type", "text/plain")], b"not found")


def redirect(location: str, status: int = 302) -> Handler:
    return ok(b"", status=status, headers=[("Location", location)])


def sequence(*handlers: Handler) -> Handler:
    """The n-th request gets the n-th handler; the last one answers every later request."""
    calls = iter(handlers)
    last = [handlers[-1]]

    def handler(conn: socket.socket, request: Request, server: Server) -> None:
        chosen = next(calls, last[0])
        chosen(conn, request, server)

    return handler


def never_answer(conn: socket.socket, request: Request, server: Server) -> None:
    server.closing.wait(30)


def drip(interval: float = 0.5, length: int = 10_000) -> Handler:
    """Headers at once, then one byte of body every ``interval`` seconds."""

    def handler(conn: socket.socket, request: Request, server: Server) -> None:
        conn.sendall(head(200, [("Content-Type", "text/html"), ("Content-Length", str(length))]))
        for _ in range(length):
            if server.closing.wait(interval):
                return
            conn.sendall(b"x")

    return handler


def drip_headers(interval: float = 0.5) -> Handler:
    """The status line and headers themselves, one byte at a time."""

    def handler(conn: socket.socket, request: Request, server: Server) -> None:
        data = head(200, [("Content-Type", "text/html"), *[("X-Pad", "y" * 50)] * 100])
        for byte in data:
            if server.closing.wait(interval):
                return
            conn.sendall(bytes([byte]))

    return handler


def endless(content_length: int | None = None) -> Handler:
    """A body that never ends (or is far larger than any cap), with or without a length."""

    def handler(conn: socket.socket, request: Request, server: Server) -> None:
        headers = [("Content-Type", "text/html")]
        if content_length is not None:
            headers.append(("Content-Length", str(content_length)))
        conn.sendall(head(200, headers))
        chunk = b"<p>" + b"x" * 65_000 + b"</p>"
        while not server.closing.is_set():
            conn.sendall(chunk)

    return handler


def reset_mid_body(conn: socket.socket, request: Request, server: Server) -> None:
    conn.sendall(head(200, [("Content-Type", "text/html"), ("Content-Length", "100000")]))
    conn.sendall(b"<html><body>" + b"x" * 5000)
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()  # RST instead of FIN


def short_body(conn: socket.socket, request: Request, server: Server) -> None:
    """Content-Length says 5000, the server sends 20 bytes and closes."""
    conn.sendall(head(200, [("Content-Type", "text/html"), ("Content-Length", "5000")]))
    conn.sendall(b"<html><body>partial")


def encoded(body: bytes, encoding: str, *, content_length: bool = True) -> Handler:
    headers = [("Content-Type", "text/html"), ("Content-Encoding", encoding)]

    def handler(conn: socket.socket, request: Request, server: Server) -> None:
        if content_length:
            respond(conn, 200, headers, body)
        else:
            conn.sendall(head(200, headers) + body)

    return handler


def status(code: int, headers: Iterable[tuple[str, str]] = ()) -> Handler:
    return ok(b"error page", status=code, headers=[("Content-Type", "text/plain"), *headers])


def conditional(body: bytes, *, etag: str, last_modified: str) -> Handler:
    """A feed that answers 304 to a matching If-None-Match or If-Modified-Since."""
    validators = [("ETag", etag), ("Last-Modified", last_modified)]

    def handler(conn: socket.socket, request: Request, server: Server) -> None:
        if (
            request.headers.get("if-none-match") == etag
            or request.headers.get("if-modified-since") == last_modified
        ):
            respond(conn, 304, validators)
        else:
            respond(conn, 200, [("Content-Type", "application/rss+xml"), *validators], body)

    return handler


# -- compression bombs (built once per test run) --------------------------------------------

MiB = 1024 * 1024


def _zeros(size: int, compress: Callable[[bytes], bytes], finish: Callable[[], bytes]) -> bytes:
    """``size`` zero bytes compressed, built 1 MiB at a time (memory stays small)."""
    block = b"\0" * MiB
    parts = [compress(block) for _ in range(size // MiB)]
    parts.append(finish())
    return b"".join(parts)


@functools.cache
def gzip_bomb(size: int = 64 * MiB) -> bytes:
    c = zlib.compressobj(6, zlib.DEFLATED, 31)
    return _zeros(size, c.compress, c.flush)


@functools.cache
def deflate_bomb(size: int = 64 * MiB) -> bytes:
    c = zlib.compressobj(6, zlib.DEFLATED, 15)
    return _zeros(size, c.compress, c.flush)


@functools.cache
def brotli_bomb(size: int = 256 * MiB) -> bytes:
    c = brotli.Compressor(quality=5)
    return _zeros(size, c.process, c.finish)


@functools.cache
def zstd_bomb(size: int = 256 * MiB) -> bytes:
    c = zstandard.ZstdCompressor(level=3).compressobj()
    return _zeros(size, c.compress, c.flush)


@functools.cache
def double_bomb(size: int = 64 * MiB) -> bytes:
    """gzip first, then brotli over it: sent as ``Content-Encoding: gzip, br``."""
    out: bytes = brotli.compress(gzip_bomb(size), quality=5)
    return out


def closed_port() -> int:
    """A port on 127.0.0.1 nobody listens on (bound, then released)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port: int = sock.getsockname()[1]
    sock.close()
    return port


def settings(**overrides: object) -> HttpSettings:
    """HttpSettings for tests: 127.0.0.1 allowed, small deadline and cap, no delay, no robots."""
    values: dict[str, object] = {
        "timeout": 2.0,
        "max_bytes": MiB,
        "sitemap_max_bytes": 2 * MiB,
        "delay": 0.0,
        "obey_robots": False,
        "allow_private": True,
        "retries": 2,
        "max_redirects": 5,
    }
    values.update(overrides)
    return HttpSettings(**values)  # type: ignore[arg-type]


def fetcher(**overrides: object) -> Fetcher:
    """A Fetcher on test settings with short retry backoff."""
    return Fetcher(settings(**overrides), backoff=0.05)
