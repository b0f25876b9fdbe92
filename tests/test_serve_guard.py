"""Issue 16, Datasette: value sizes capped, Host checked, SQL only when asked, no leaks."""

from __future__ import annotations

import asyncio
import sqlite3
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from archiver.serve.app import build_datasette_argv, write_metadata
from archiver.serve.guard import (
    MAX_VALUE_BYTES,
    HostGuard,
    allowed_hosts,
    args_host_port,
    limit_connection,
    permission_allowed,
    sql_allowed,
)
from archiver.store import Store

from serve_helpers import free_port, running, wait_until_up


def test_a_single_function_call_cannot_build_a_huge_value() -> None:
    conn = sqlite3.connect(":memory:")
    limit_connection(conn)
    assert conn.execute("select length(randomblob(1000))").fetchone() == (1000,)
    for sql in (
        "select length(randomblob(900000000))",
        f"select length(replace(hex(zeroblob({MAX_VALUE_BYTES // 4})), '0', '0000'))",
    ):
        with pytest.raises(sqlite3.DataError, match="too big"):
            conn.execute(sql).fetchone()


def test_fts3_tokenizer_leaks_no_pointer() -> None:
    conn = sqlite3.connect(":memory:")
    assert conn.execute("select fts3_tokenizer('simple')").fetchone()[0] is not None
    limit_connection(conn)
    assert conn.execute("select fts3_tokenizer('simple')").fetchone() == (None,)


def test_arbitrary_sql_only_when_asked() -> None:
    assert not sql_allowed({})
    assert not sql_allowed({"ARCHIVER_SERVE_SQL": "0"})
    assert sql_allowed({"ARCHIVER_SERVE_SQL": "1"})


def test_allowed_hosts_follow_the_bound_address() -> None:
    loopback = allowed_hosts("127.0.0.1", 8001)
    assert loopback is not None
    assert {"127.0.0.1:8001", "localhost:8001", "[::1]:8001"} <= loopback
    assert "evil.example:8001" not in loopback
    assert "127.0.0.1:8002" not in loopback
    assert allowed_hosts("0.0.0.0", 8001) is None  # the user chose to serve every name
    assert allowed_hosts("192.0.2.7", 80) == frozenset({"192.0.2.7:80", "192.0.2.7"})
    assert args_host_port(["serve", "x.db", "--host", "::1", "--port", "9000"]) == ("::1", 9000)


def _call(guard: HostGuard, host: bytes, path: str = "/") -> int:
    sent: list[dict[str, Any]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})

    async def send(message: Any) -> None:
        sent.append(message)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request"}

    guard.app = app
    scope = {"type": "http", "path": path, "headers": [(b"host", host)]}
    asyncio.run(guard(scope, receive, send))
    return int(sent[0]["status"])


def test_the_middleware_checks_host_and_hides_the_database_path() -> None:
    guard = HostGuard(lambda *_: None, allowed_hosts("127.0.0.1", 8001))  # type: ignore[arg-type]
    assert _call(guard, b"127.0.0.1:8001") == 200
    assert _call(guard, b"LOCALHOST:8001") == 200
    assert _call(guard, b"rebound.example:8001") == 421
    assert _call(guard, b"") == 421
    assert _call(guard, b"127.0.0.1:8001", "/-/databases.json") == 404


def test_permission_hook_denies_only_execute_sql(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ARCHIVER_SERVE_SQL", raising=False)
    assert permission_allowed("execute-sql") is False
    assert permission_allowed("view-table") is None
    monkeypatch.setenv("ARCHIVER_SERVE_SQL", "1")
    assert permission_allowed("execute-sql") is None


@pytest.mark.slow
@pytest.mark.parametrize("sql_on", [False, True])
def test_served_archive_is_guarded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sql_on: bool
) -> None:
    db = tmp_path / "archive.db"
    with Store(db) as store:
        store.migrate()
    if sql_on:
        monkeypatch.setenv("ARCHIVER_SERVE_SQL", "1")
    else:
        monkeypatch.delenv("ARCHIVER_SERVE_SQL", raising=False)
    port = free_port()
    metadata = write_metadata(db, tmp_path / "metadata.json")
    with running(build_datasette_argv(db, metadata, port=port, python=sys.executable)) as proc:
        base = f"http://127.0.0.1:{port}"
        wait_until_up(base, proc)
        table = httpx.get(base + "/archive/articles.json", timeout=10)
        assert table.status_code == 200
        rebound = httpx.get(
            base + "/archive/articles.json", headers={"Host": f"rebound.example:{port}"}
        )
        assert rebound.status_code == 421
        assert httpx.get(base + "/-/databases.json", timeout=10).status_code == 404
        small = httpx.get(base + "/archive.json", params={"sql": "select 1 as x"}, timeout=10)
        huge = httpx.get(
            base + "/archive.json",
            params={"sql": "select length(randomblob(900000000)) as n"},
            timeout=30,
        )
        leak = httpx.get(
            base + "/archive.json",
            params={"sql": "select fts3_tokenizer('simple') as p", "_shape": "array"},
            timeout=10,
        )
    if not sql_on:
        assert small.status_code == 403 and huge.status_code == 403
        return
    assert small.status_code == 200
    assert huge.status_code == 400 and "too big" in huge.text
    assert leak.status_code == 200 and leak.json() == [{"p": None}]
