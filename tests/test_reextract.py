"""``archiver reextract`` on worker processes: the same archive as re-extracting in one
thread, and an interrupted run resumes where it stopped (the archive remembers)."""

from __future__ import annotations

import threading
from pathlib import Path

from archiver.capture import iter_captures
from archiver.cli.reextract_bar import describe
from archiver.config import load_config
from archiver.poll.once import poll_now
from archiver.poll.reextract import reextract
from archiver.poll.workers import ExtractPool
from archiver.store import Store

from sitefixture import Site

COLUMNS = "url, source, title, lead, body, published, authors, revision_count, content_hash"


def polled(tmp_path: Path, site: Site) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(
        f"""
[archive]
path = "archive.db"
captures = "captures"
[http]
allow_private = true
delay = 0
[daemon]
extract_workers = 0
[[sources]]
name = "tass-en"
url = "{site.url("/rss/v2.xml")}"
[[sources]]
name = "reuters"
kind = "sitemap"
url = "{site.url("/arc/outboundfeeds/news-sitemap/")}"
[[sources]]
name = "ap-world"
kind = "page"
url = "{site.url("/hub/world-news")}"
links = '/article/[a-z0-9-]+-[0-9a-f]{{32}}$'
""",
        encoding="utf-8",
    )
    poll_now(load_config(config))
    return tmp_path


def rows(db: Path) -> list[tuple[object, ...]]:
    with Store(db) as store:
        return [
            tuple(r) for r in store.conn.execute(f"SELECT {COLUMNS} FROM articles ORDER BY url")
        ]


def rebuild(root: Path, db: Path, pool: ExtractPool | None, **kw: object) -> dict[str, int]:
    with Store(db) as store:
        store.migrate()
        return dict(reextract(store, root / "captures", pool=pool, **kw))  # type: ignore[arg-type]


def test_workers_rebuild_the_same_archive_as_one_thread(tmp_path: Path, site: Site) -> None:
    root = polled(tmp_path, site)
    before = rows(root / "archive.db")
    assert len(before) == 9
    serial = rebuild(root, tmp_path / "serial.db", None)
    with ExtractPool(2) as pool:
        parallel = rebuild(root, tmp_path / "parallel.db", pool)
        again = rebuild(root, root / "archive.db", pool)
    assert parallel == serial and serial["new"] == 9
    assert rows(tmp_path / "parallel.db") == rows(tmp_path / "serial.db") == before
    assert again.get("unchanged") == 9 and not again.get("revision")


def test_an_interrupted_run_resumes_where_it_stopped(tmp_path: Path, site: Site) -> None:
    root = polled(tmp_path, site)
    captures = sum(1 for _ in iter_captures(root / "captures"))
    db = tmp_path / "rebuilt.db"
    stop = threading.Event()
    seen: list[int] = []

    def progress(_bytes: int, done: int) -> None:
        seen.append(done)
        if done >= 4:
            stop.set()

    with ExtractPool(2) as pool:
        first = rebuild(root, db, pool, stop=stop, progress=progress)
        handled = sum(first.values())
        assert 4 <= handled < captures
        second = rebuild(root, db, pool)
        assert second["resumed"] == handled
        assert handled + sum(v for k, v in second.items() if k != "resumed") == captures
        assert rows(db) == rows(root / "archive.db")
        # a finished run is not resumed: the next one goes over everything again
        third = rebuild(root, db, pool)
        assert "resumed" not in third and third["unchanged"] == 9
        # --restart ignores an unfinished run
        stop.clear()
        seen.clear()
        rebuild(root, db, pool, stop=stop, progress=progress)
        fresh = rebuild(root, db, pool, restart=True)
        assert "resumed" not in fresh and fresh["unchanged"] == 9


def test_another_scope_does_not_resume_a_run(tmp_path: Path, site: Site) -> None:
    root = polled(tmp_path, site)
    stop = threading.Event()
    db = root / "archive.db"

    def progress(_bytes: int, done: int) -> None:
        if done >= 3:
            stop.set()

    rebuild(root, db, None, stop=stop, progress=progress)
    other = rebuild(root, db, None, source="reuters")
    assert "resumed" not in other and other["unchanged"] >= 1
    resumed = rebuild(root, db, None)
    assert resumed["resumed"] >= 3


def test_the_bar_text() -> None:
    assert describe(0, 0, 1000, 0.0) == "0 captures"
    assert describe(10, 100, 1000, 2.0) == "10 of ~100 captures, 5.0/s"
    assert describe(10, 1000, 1000, 4.0) == "10 of ~10 captures, 2.5/s"
