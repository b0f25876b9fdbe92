"""Extraction in worker processes: the same Article as in-process, a hard per-page time
budget (the worker is killed and replaced, the page fails, the poll goes on), a dead worker
costs one page, and the polling parent never imports the extractor."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from archiver.capture import WarcWriter
from archiver.config import parse_config
from archiver.dedup import canonical_url
from archiver.dedup.filing import story_keys
from archiver.errors import ConfigError, ExtractTimeout, ParseError
from archiver.extract import extract
from archiver.fetch import Fetcher
from archiver.models import Article
from archiver.poll.pipeline import PollContext, poll_source
from archiver.poll.workers import ExtractPool, extract_job, ordered, worker_count
from archiver.store import Store
from archiver.store.searchindex import analyzed

from sitefixture import Site, serve_site

FIXTURES = Path(__file__).parent / "fixtures" / "site"
SLOW = b"<!-- archiver test: take your time -->"
CRASH = b"<!-- archiver test: die -->"
NOW = datetime(2024, 5, 16, 12, 0, tzinfo=UTC)


def sleepy(
    body: bytes, url: str, charset: str | None, now: datetime | None, rules: Sequence[object]
) -> Article:
    """A worker target that is the real extractor, except on pages marked to be slow
    (it sleeps through the budget) or to crash (the worker process exits at once)."""
    if SLOW in body:
        time.sleep(3600)
    if CRASH in body:
        os._exit(7)
    return extract_job(body, url, charset, now, rules)  # type: ignore[arg-type]


@pytest.fixture
def site() -> Iterator[Site]:
    with serve_site(FIXTURES) as running:
        yield running


def page(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def test_a_worker_returns_the_same_article_as_extracting_in_process() -> None:
    pages = {
        "https://tass.com/world/1250714": page("world/1250714.html"),
        "https://tass.com/science/1788301": page("science/1788301.html"),
    }
    with ExtractPool(2) as pool:
        for url, body in pages.items():
            got, keys, search = pool.extract_keyed(body, url, charset="utf-8", now=NOW)
            direct = extract(body, url, charset="utf-8", now=NOW)
            # filed under its canonical URL, with the keys the store would compute itself
            assert got == dataclasses.replace(direct, url=canonical_url(url, direct.canonical_url))
            assert keys == story_keys(got, url)
            # and the index text the store would analyze itself
            assert search == analyzed(got.title, got.lead, got.body, got.language)
            assert got.title and got.body
        assert pool.replaced == 0


def test_a_page_past_its_budget_kills_its_worker_and_the_next_page_works() -> None:
    body = page("world/1250714.html")
    with ExtractPool(1, timeout=3.0, target=sleepy) as pool:
        first = pool.workers_pids()
        with pytest.raises(ExtractTimeout, match="budget"):
            pool.extract(body + SLOW, "https://tass.com/world/1250714")
        assert pool.replaced == 1
        again = pool.extract(body, "https://tass.com/world/1250714", now=NOW)
        direct = extract(body, "https://tass.com/world/1250714", now=NOW)
        assert (again.title, again.body) == (direct.title, direct.body)
        assert pool.workers_pids() and pool.workers_pids() != first


def test_a_worker_that_dies_costs_one_page() -> None:
    body = page("science/1788301.html")
    with ExtractPool(1, target=sleepy) as pool:
        with pytest.raises(ParseError, match="worker died"):
            pool.extract(body + CRASH, "https://tass.com/science/1788301")
        assert pool.extract(body, "https://tass.com/science/1788301").title


def test_an_extraction_error_comes_back_as_the_same_error() -> None:
    with ExtractPool(1) as pool, pytest.raises(ParseError) as caught:
        pool.extract(b"", "https://tass.com/world/1")
    with pytest.raises(ParseError) as direct:
        extract(b"", "https://tass.com/world/1")
    assert str(caught.value) == str(direct.value)


def test_stop_abandons_a_long_extraction() -> None:
    stop = threading.Event()
    with ExtractPool(1, timeout=600, target=sleepy) as pool:
        threading.Timer(0.5, stop.set).start()
        with pytest.raises(ExtractTimeout, match="stopping"):
            pool.extract(page("world/1250714.html") + SLOW, "https://tass.com/w/1", stop=stop)


def test_ordered_keeps_the_order_and_stops_before_starting_more() -> None:
    with ExtractPool(2) as pool:
        got = list(ordered(range(20), lambda n: n * n, pool=pool, should_stop=lambda: False))
        assert got == [(n, n * n) for n in range(20)]
        started: list[int] = []

        def work(n: int) -> int:
            started.append(n)
            return n

        seen: list[int] = []
        for n, _ in ordered(range(100), work, pool=pool, should_stop=lambda: len(seen) >= 5):
            seen.append(n)
        assert seen == list(range(len(seen))) and len(seen) <= 5 + pool.size + 1
        assert len(started) <= len(seen) + pool.size + 1


def test_a_poll_with_a_slow_page_archives_the_others(tmp_path: Path, site: Site) -> None:
    site.put("/science/1788301", page("science/1788301.html") + SLOW)
    config = parse_config(
        {
            "archive": {"path": str(tmp_path / "a.db"), "captures": str(tmp_path / "c")},
            "http": {"allow_private": True, "delay": 0},
            "sources": [{"name": "tass-en", "url": site.url("/rss/v2.xml")}],
        }
    )
    source = config.sources[0]
    with (
        Store(config.archive.path) as store,
        Fetcher(config.http) as fetcher,
        ExtractPool(2, timeout=3.0, target=sleepy) as pool,
    ):
        store.migrate()
        store.sync_sources(config.sources, NOW)
        ctx = PollContext(store=store, fetcher=fetcher, extractor=pool)
        report = poll_source(source, ctx)
        assert report.outcome == "ok"
        assert report.failed == 1 and report.new == report.seen - 1 >= 2
        assert any("1788301" in e and "budget" in e for e in report.errors)
        assert pool.replaced == 1
        failure = store.conn.execute("SELECT url, error FROM failures").fetchall()
        assert len(failure) == 1 and "1788301" in failure[0][0] and "budget" in failure[0][1]


def test_each_row_commits_after_its_capture_is_on_disk_with_fsyncs_shared(
    tmp_path: Path, site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = parse_config(
        {
            "archive": {"path": str(tmp_path / "a.db"), "captures": str(tmp_path / "c")},
            "http": {"allow_private": True, "delay": 0},
            "sources": [{"name": "tass-en", "url": site.url("/rss/v2.xml")}],
        }
    )
    source = config.sources[0]
    filed: list[bool] = []
    with (
        Store(config.archive.path) as store,
        Fetcher(config.http) as fetcher,
        ExtractPool(2) as pool,
        WarcWriter(config.archive.captures) as captures,
    ):
        real_save = store.save_article

        def checked_save(article: Article, **kw: Any) -> Any:
            ref = kw["capture"]
            on_disk = captures._synced if ref.file == captures._name else None
            filed.append(on_disk is None or on_disk >= ref.offset + ref.length)
            return real_save(article, **kw)

        monkeypatch.setattr(store, "save_article", checked_save)
        store.migrate()
        store.sync_sources(config.sources, NOW)
        ctx = PollContext(store=store, fetcher=fetcher, extractor=pool, captures=captures)
        report = poll_source(source, ctx)
        assert report.outcome == "ok" and report.new >= 3
        assert filed and all(filed)
        # one fsync for the listing, then at most one per article (fewer when the fetching
        # threads wrote several records before the next row was filed)
        assert captures.fsyncs <= 1 + len(filed)
        refs = store.conn.execute("SELECT count(*) FROM revisions WHERE warc_file IS NOT NULL")
        assert refs.fetchone()[0] == report.new


def test_idle_workers_exit_then_the_forkserver_and_the_next_page_starts_them_again() -> None:
    from multiprocessing import forkserver

    body = page("world/1250714.html")
    url = "https://tass.com/world/1250714"
    direct = extract(body, url, now=NOW)
    with ExtractPool(2, idle=0.5) as pool:
        assert pool.extract(body, url, now=NOW).title == direct.title
        first = pool.workers_pids()
        server = forkserver._forkserver
        assert first and getattr(server, "_forkserver_pid", None) is not None
        deadline = time.monotonic() + 30
        while getattr(server, "_forkserver_pid", None) and time.monotonic() < deadline:
            time.sleep(0.1)
        # the workers exited (told to, not killed), then the server that held the extractor
        assert pool.workers_pids() == [] and pool.exited_idle == len(first)
        assert getattr(server, "_forkserver_pid", None) is None
        again = pool.extract(body, url, now=NOW)
        assert (again.title, again.body) == (direct.title, direct.body)
        assert pool.workers_pids() and not set(pool.workers_pids()) & set(first)
        assert pool.replaced == 0


def test_a_busy_worker_is_not_reaped() -> None:
    body = page("world/1250714.html")
    with ExtractPool(1, idle=None) as pool:
        pool.extract(body, "https://tass.com/world/1250714", now=NOW)
        assert pool.reap_idle(now=time.monotonic() + 3600) == 0  # idle=None: they stay
    with ExtractPool(1, idle=3600) as pool:
        pool.extract(body, "https://tass.com/world/1250714", now=NOW)
        assert pool.reap_idle() == 0 and len(pool.workers_pids()) == 1
        assert pool.reap_idle(now=time.monotonic() + 3601) == 1
        assert pool.workers_pids() == []


def test_worker_setting_is_read_and_checked() -> None:
    assert parse_config({}).daemon.extract_workers is None
    assert worker_count(None) >= 1 and worker_count(0) == 0
    settings = parse_config({"daemon": {"extract_workers": 2, "extract_timeout": 5}}).daemon
    assert (settings.extract_workers, settings.extract_timeout) == (2, 5.0)
    with pytest.raises(ConfigError, match=r"daemon\.extract_workers"):
        parse_config({"daemon": {"extract_workers": -1}})
    with pytest.raises(ConfigError, match=r"daemon\.extract_timeout"):
        parse_config({"daemon": {"extract_timeout": 0}})


def test_the_polling_process_never_imports_the_extractor(tmp_path: Path, site: Site) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        f"""
[archive]
path = "a.db"
captures = "c"
[http]
allow_private = true
delay = 0
[daemon]
extract_workers = 2
[[rules]]
name = "mine"
domains = ["news.example.org"]
body = "article p"
[[sources]]
name = "tass-en"
url = "{site.url("/rss/v2.xml")}"
""",
        encoding="utf-8",
    )
    script = (
        "import sys\n"
        "from archiver.config import load_config\n"
        "from archiver.poll.once import poll_now\n"
        f"reports = poll_now(load_config({str(config)!r})).reports\n"
        "print(reports[0].new, sorted(m for m in ('trafilatura', 'htmldate', 'justext', 'numpy')"
        " if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    new, imported = done.stdout.split(" ", 1)
    assert int(new) >= 3
    assert imported.strip() == "[]"
