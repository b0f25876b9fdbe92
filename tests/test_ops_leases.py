"""Leases: one poller per source. Two `archiver poll` processes at once fetch each article
page once; a second poller is told who holds a source; a dead holder's lease expires."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from archiver.store import Store
from archiver.store.leases import Holder, claim, live_leases, release
from archiver.timeutil import utcnow
from test_e2e import FIXTURES, article_hits, write_config

from sitefixture import Site, serve_site


@pytest.fixture
def site() -> Iterator[Site]:
    with serve_site(FIXTURES) as running:
        yield running


def test_a_lease_is_held_by_one_holder_until_released_or_expired(tmp_path: Path) -> None:
    a, b = Holder(1, "alpha", "aaaa"), Holder(2, "beta", "bbbb")
    now = utcnow()
    with Store(tmp_path / "a.db") as store:
        store.migrate()
        assert claim(store, "tass", a, now=now) is None
        assert claim(store, "tass", a, now=now) is None  # ours: renewed
        other = claim(store, "tass", b, now=now)
        assert other is not None and (other.pid, other.host) == (1, "alpha")
        assert claim(store, "reuters", b, now=now) is None  # another source is free
        release(store, "tass", b)  # not b's: stays a's
        assert claim(store, "tass", b, now=now) is not None
        later = now + timedelta(minutes=10)  # a died: its lease expired
        assert claim(store, "tass", b, now=later) is None
        assert live_leases(store.conn, later)["tass"].host == "beta"
        release(store, "tass", b)
        assert "tass" not in live_leases(store.conn, later)


def test_two_pollers_at_once_fetch_each_article_page_once(tmp_path: Path, site: Site) -> None:
    # a per-host delay makes each poll last a few seconds, so the two overlap
    config = write_config(tmp_path, site).read_text(encoding="utf-8")
    (tmp_path / "config.toml").write_text(config.replace("delay = 0", "delay = 0.3"))
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-m", "archiver", "poll", "--config", str(tmp_path / "config.toml")]
    procs = [
        subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    assert article_hits(site) == 9  # nine article pages, each fetched once
    said = "".join(out + err for out, err in outputs)
    assert "is being polled by pid" in said
    with Store(tmp_path / "var" / "archive.db") as store:
        assert store.count_articles() == 9
        assert live_leases(store.conn) == {}  # both released what they held


def test_sources_shows_who_holds_a_source(tmp_path: Path, site: Site) -> None:
    from click.testing import CliRunner

    from archiver.cli import main

    config = write_config(tmp_path, site)
    with Store(tmp_path / "var" / "archive.db") as store:
        store.migrate()
        assert claim(store, "reuters", Holder(4242, "cron-box", "x")) is None
    result = CliRunner().invoke(main, ["sources", "--config", str(config)])
    assert result.exit_code == 0, result.output
    line = next(x for x in result.stdout.splitlines() if x.startswith("reuters"))
    assert "pid 4242 on cron-box" in line
    result = CliRunner().invoke(main, ["poll", "reuters", "--config", str(config)])
    assert "source reuters is being polled by pid 4242 on cron-box" in result.stdout
    assert sum(site.requests.values()) == 0  # nothing fetched for a source held elsewhere


def test_the_lease_of_a_dead_process_on_this_machine_is_taken_at_once(tmp_path: Path) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    me = Holder.this_process()
    with Store(tmp_path / "a.db") as store:
        store.migrate()
        assert claim(store, "ap", Holder(os.getppid(), me.host, "alive")) is None
        assert claim(store, "ap", me) is not None  # a live holder keeps its lease
        assert claim(store, "tass", Holder(int(dead.stdout), me.host, "gone")) is None
        assert claim(store, "tass", me) is None  # the holder's pid is gone: taken over
