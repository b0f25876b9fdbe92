"""The bar: two ``archiver run`` daemons on one PostgreSQL archive, one killed -9 after 3 s,
the other finishes: every article archived once, no article page fetched twice beyond the
one in flight, the seed story found by ``archiver search``, and the survivor stops cleanly."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from archiver.store.pg.core import PgStore
from test_e2e import ARTICLES, FIXTURES, run
from test_pg_store import pg_config

from sitefixture import Site, serve_site

# one source at a time, extraction in the polling thread: one article page in flight per
# daemon (with extraction workers, each poll pipelines extract_workers + 1 pages, and a
# kill -9 loses what was fetched but not yet filed)
DAEMON = """
[daemon]
tick = "0.2s"
workers = 1
extract_workers = 0
"""


@pytest.fixture
def site() -> Iterator[Site]:
    with serve_site(FIXTURES) as running:
        yield running


def start(config: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "archiver", "run", "--config", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def fetched(site: Site, path: str) -> int:
    return (
        site.requests[path.rstrip("/")] + site.requests[path]
        if path.endswith("/")
        else (site.requests[path])
    )


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_two_daemons_one_killed_the_other_finishes(tmp_path: Path, site: Site, pg_url: str) -> None:
    config = pg_config(tmp_path, site, pg_url, DAEMON)
    text = config.read_text(encoding="utf-8").replace("delay = 0\n", "delay = 0.4\n", 1)
    config.write_text(text, encoding="utf-8")
    with PgStore(pg_url) as store:
        store.migrate()  # both daemons start on a ready archive
    first, second = start(config), start(config)
    try:
        deadline = time.monotonic() + 60
        while not site.requests and time.monotonic() < deadline:  # the daemons are up
            time.sleep(0.05)
        time.sleep(3)
        assert first.poll() is None and second.poll() is None
        during = sum(fetched(site, p) for p in ARTICLES)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
        with PgStore(pg_url) as store:
            deadline = time.monotonic() + 120
            while store.count_articles() < len(ARTICLES) and time.monotonic() < deadline:
                time.sleep(0.2)
            assert store.count_articles() == len(ARTICLES)
            revisions = store.conn.execute("SELECT count(*) FROM revisions").fetchone()[0]
            assert revisions == len(ARTICLES)  # each archived once: one version each
        assert second.poll() is None, second.stderr.read() if second.stderr else ""
        second.send_signal(signal.SIGTERM)
        assert second.wait(timeout=30) == 0
    finally:
        for proc in (first, second):
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            if proc.stderr is not None:
                proc.stderr.close()
    assert 0 < during < len(ARTICLES)  # the kill came in the middle of the work
    counts = {p: fetched(site, p) for p in ARTICLES}
    assert all(n >= 1 for n in counts.values()), counts
    assert sum(n - 1 for n in counts.values()) <= 1, counts  # at most the one in flight
    code, out, err = run("search", "walruses", "--config", str(config), "--format", "json")
    assert code == 0, err
    assert "/science/1788301" in out
    # each daemon writes its own WARC files, named by its id; the revisions point at them
    host = "".join(c if c.isalnum() or c in "_.-" else "-" for c in socket.gethostname())
    names = {p.name for p in (tmp_path / "var" / "captures").glob("*.warc.gz")}
    owners = {pid for pid in (first.pid, second.pid) for n in names if f"-{host}-{pid}-" in n}
    assert second.pid in owners and len(names) >= len(owners)
    assert all(any(f"-{host}-{pid}-" in n for pid in owners) for n in names), names
    with PgStore(pg_url) as store:
        files = {r[0] for r in store.conn.execute("SELECT warc_file FROM revisions")}
    assert files and files <= names
