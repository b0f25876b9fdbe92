"""``archiver add`` and ``archiver reextract`` on a PostgreSQL archive: the behaviour the
SQLite tests ask for (``test_ops_readonly``, ``test_reextract``), on a real cluster."""

from __future__ import annotations

import threading
from pathlib import Path

from archiver.capture import iter_captures
from archiver.config import load_config
from archiver.poll.reextract import reextract
from archiver.store.pg.core import PgStore
from test_e2e import run
from test_pg_store import pg_config

from pgcluster import Cluster
from sitefixture import Site

COLUMNS = "url, source, title, lead, body, published, authors, revision_count, content_hash"


def rows(url: str) -> list[tuple[object, ...]]:
    with PgStore(url) as store:
        return [
            tuple(r) for r in store.conn.execute(f"SELECT {COLUMNS} FROM articles ORDER BY url")
        ]


def test_add_archives_a_link_now(tmp_path: Path, site: Site, pg_url: str) -> None:
    config = pg_config(tmp_path, site, pg_url)
    url = site.url("/world/1250714") + "?utm_source=newsletter"
    code, out, err = run("add", url, "--config", str(config))
    assert code == 0, err
    assert out.startswith("new")
    code, out, _ = run("add", url, "--config", str(config))
    assert code == 0 and not out.startswith("new")  # the archive has it: no second entry
    code, out, _ = run("add", site.url("/nowhere/1"), "--config", str(config))
    assert code == 1 and "404" in out
    with PgStore(pg_url) as store:
        found = [tuple(r) for r in store.conn.execute("SELECT url, source FROM articles")]
        assert store.integrity_problems() == []
    assert found == [(site.url("/world/1250714"), "added")]
    code, out, err = run("search", "--config", str(config), "--format", "json", "--all", "the")
    assert code == 0 and "/world/1250714" in out, err


def test_reextract_keeps_the_archive_and_rebuilds_an_empty_one(
    tmp_path: Path, site: Site, pg_cluster: Cluster
) -> None:
    polled_url, empty_url = pg_cluster.new_database(), pg_cluster.new_database()
    config = pg_config(tmp_path, site, polled_url, "[daemon]\nextract_workers = 0\n")
    assert run("poll", "--config", str(config))[0] == 0
    before = rows(polled_url)
    assert len(before) == 9
    code, out, err = run("reextract", "--config", str(config))
    assert code == 0, err
    assert "new: 0, revision: 0, unchanged: 9" in out
    assert rows(polled_url) == before
    # the same captures into an empty PostgreSQL archive: the articles again, with workers
    other = tmp_path / "rebuilt.toml"
    text = config.read_text(encoding="utf-8").replace(polled_url, empty_url)
    other.write_text(text.replace("extract_workers = 0", "extract_workers = 2"), encoding="utf-8")
    code, out, err = run("reextract", "--config", str(other))
    assert code == 0, err
    assert out.startswith("new: 9, revision: 0")
    assert rows(empty_url) == before
    code, out, _ = run("search", "walruses", "--config", str(other), "--format", "json")
    assert code == 0 and "/science/1788301" in out


def test_an_interrupted_reextract_resumes_where_it_stopped(
    tmp_path: Path, site: Site, pg_cluster: Cluster
) -> None:
    polled_url, rebuilt_url = pg_cluster.new_database(), pg_cluster.new_database()
    config = load_config(pg_config(tmp_path, site, polled_url, "[daemon]\nextract_workers = 0\n"))
    assert run("poll", "--config", str(tmp_path / "config.toml"))[0] == 0
    root = config.archive.captures
    captures = sum(1 for _ in iter_captures(root))
    stop = threading.Event()

    def progress(_bytes: int, done: int) -> None:
        if done >= 4:
            stop.set()

    with PgStore(rebuilt_url) as store:
        store.migrate()
        first = reextract(store, root, stop=stop, progress=progress)
        handled = sum(first.values())
        assert 4 <= handled < captures
        second = reextract(store, root)
        assert second["resumed"] == handled
        assert handled + sum(v for k, v in second.items() if k != "resumed") == captures
        third = reextract(store, root)  # a finished run is not resumed
        assert "resumed" not in third and third["unchanged"] == 9
    assert rows(rebuilt_url) == rows(polled_url)
