"""What keeps a hostile request to ``archiver serve`` cheap and the archive private.

* Every connection Datasette opens gets ``SQLITE_LIMIT_LENGTH`` (``MAX_VALUE_BYTES``): a
  single SQL function call such as ``length(randomblob(900000000))`` or
  ``replace(hex(zeroblob(...)))`` cannot build a value of gigabytes, which the query time
  limit (checked between VM steps, not inside one call) would never interrupt.
* ``fts3_tokenizer()`` is replaced by a function returning NULL: the built-in one hands out
  a C pointer (an address-space leak) to anyone who can run SQL.
* Arbitrary SQL (``?sql=``) only when the user asks for it (``ARCHIVER_SERVE_SQL=1``); the
  tables, facets, the search box and the shipped canned queries work without it.
* An ASGI middleware answers 421 to a request whose ``Host`` header is not the address
  Datasette is bound to (or ``localhost`` when bound to loopback), so a web page in the
  user's browser cannot reach the archive through DNS rebinding; bound to a wildcard
  address (``0.0.0.0``, ``::``), the user chose to serve any name, and Host is not checked.
* ``/-/databases`` (which shows the archive's file path) answers 404.
"""

from __future__ import annotations

import ipaddress
import itertools
import os
import sqlite3
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

MAX_VALUE_BYTES = 32 * 1024 * 1024  # the largest string or blob one SQL value may be
SQL_ENV = "ARCHIVER_SERVE_SQL"
HIDDEN_PATHS = frozenset({"/-/databases", "/-/databases.json"})

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def limit_connection(conn: sqlite3.Connection) -> None:
    """Cap value sizes on ``conn`` and take away the pointer-leaking fts3_tokenizer()."""
    conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
    conn.create_function("fts3_tokenizer", 1, _null)
    conn.create_function("fts3_tokenizer", 2, _null)


def _null(*_args: object) -> None:
    return None


def sql_allowed(environ: MutableMapping[str, str] | None = None) -> bool:
    """True when the user asked for arbitrary SQL (``ARCHIVER_SERVE_SQL=1``)."""
    value = (os.environ if environ is None else environ).get(SQL_ENV, "")
    return value.strip().lower() in ("1", "true", "yes", "on")


def permission_allowed(action: str) -> bool | None:
    """Datasette's permission hook: deny ``execute-sql`` unless asked; else no opinion."""
    if action == "execute-sql" and not sql_allowed():
        return False
    return None


def allowed_hosts(host: str, port: int) -> frozenset[str] | None:
    """The Host header values accepted for a server bound to ``host:port``; None: any."""
    bare = host.strip("[]")
    try:
        ip = ipaddress.ip_address(bare)
    except ValueError:
        ip = None
    if ip is not None and ip.is_unspecified:
        return None
    names = {bare.lower()}
    if (ip is not None and ip.is_loopback) or bare.lower() == "localhost":
        names |= {"localhost", "127.0.0.1", "::1"}
    hosts = set()
    for name in names:
        shown = f"[{name}]" if ":" in name else name
        hosts |= {f"{shown}:{port}"}
        if port == 80:
            hosts.add(shown)
    return frozenset(hosts)


def args_host_port(args: list[str]) -> tuple[str, int]:
    """``--host`` and ``--port`` from Datasette's command line (its defaults otherwise)."""
    host, port = "127.0.0.1", 8001
    for flag, value in itertools.pairwise(args):
        if flag in ("--host", "-h"):
            host = value
        elif flag in ("--port", "-p") and value.isdigit():
            port = int(value)
    return host, port


class HostGuard:
    """ASGI middleware: a wrong Host gets 421, a hidden path 404, before Datasette runs."""

    def __init__(self, app: ASGIApp, hosts: frozenset[str] | None) -> None:
        self.app = app
        self.hosts = hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("type") not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        if self.hosts is not None and _host_of(scope) not in self.hosts:
            await _plain(send, 421, b"Misdirected request: this server answers to its own address")
            return
        path = str(scope.get("path") or "")
        if path.rstrip("/") in HIDDEN_PATHS:
            await _plain(send, 404, b"Not found")
            return
        await self.app(scope, receive, send)


def _host_of(scope: Scope) -> str:
    for name, value in scope.get("headers") or ():
        if bytes(name).lower() == b"host":
            return bytes(value).decode("latin-1").strip().lower()
    return ""


async def _plain(send: Send, status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def register(args: list[str]) -> None:
    """Register the guard's Datasette hooks for a server started with ``args``."""
    from datasette import hookimpl
    from datasette.plugins import pm

    if pm.get_plugin("archiver-guard") is not None:
        return
    hosts = allowed_hosts(*args_host_port(args))
    plugin = type(os)("archiver_guard_plugin")

    def prepare_connection(conn: sqlite3.Connection) -> None:
        limit_connection(conn)

    def permission_allowed_hook(action: str) -> bool | None:
        return permission_allowed(action)

    def asgi_wrapper() -> Callable[[ASGIApp], ASGIApp]:
        return lambda app: HostGuard(app, hosts)

    plugin.prepare_connection = hookimpl(prepare_connection)  # type: ignore[attr-defined]
    plugin.permission_allowed = hookimpl(  # type: ignore[attr-defined]
        permission_allowed_hook, specname="permission_allowed"
    )
    plugin.asgi_wrapper = hookimpl(asgi_wrapper)  # type: ignore[attr-defined]
    pm.register(plugin, name="archiver-guard")
