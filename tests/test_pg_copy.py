"""``archiver copy``: SQLite -> PostgreSQL -> SQLite keeps every row and every search
result; an interrupted copy resumes without duplicating; a used destination is refused."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from archiver.errors import ArchiverError
from archiver.search import search
from archiver.store import Store
from archiver.store.pg.copy import TABLES, copy_archive
from archiver.store.pg.core import PgStore
from test_e2e import FIXTURES, run, write_config
from test_pg_store import QUERIES

from sitefixture import Site, serve_site


@pytest.fixture
def site() -> Iterator[Site]:
    with serve_site(FIXTURES) as running:
        yield running


def counts(store: Store) -> dict[str, int]:
    return {
        t: int(store.conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]) for t, _ in TABLES
    }


def test_copy_there_and_back_keeps_rows_and_results(
    tmp_path: Path, site: Site, pg_url: str
) -> None:
    assert run("poll", "--config", str(write_config(tmp_path, site)))[0] == 0
    db = tmp_path / "var" / "archive.db"
    code, out, err = run("copy", str(db), pg_url)
    assert code == 0, err
    assert "copied" in out and "9 articles" in out
    back = tmp_path / "back.db"
    code, out, err = run("copy", pg_url, str(back))
    assert code == 0, err
    with Store(db) as a, PgStore(pg_url) as b, Store(back) as c:
        assert counts(a) == counts(b) == counts(c)
        assert counts(a)["articles"] == 9
        assert b.integrity_problems() == [] and c.integrity_problems() == []
        assert a.get_article(3)["body"] == b.get_article(3)["body"] == c.get_article(3)["body"]
        # the index rows came over as they were, the tsvector built in Python as the store would
        index = "SELECT rowid, title, lead, body, language FROM articles_search ORDER BY rowid"
        assert [tuple(r) for r in a.conn.execute(index)] == [
            tuple(r) for r in b.conn.execute(index)
        ]
        assert [tuple(r) for r in c.conn.execute(index)] == [
            tuple(r) for r in a.conn.execute(index)
        ]
        differ = b.conn.execute(
            "SELECT count(*) FROM articles_search"
            " WHERE tsv IS NULL OR tsv IS DISTINCT FROM archiver_tsv(title, lead, body)"
        ).fetchone()
        assert differ is not None and differ[0] == 0
    for text in QUERIES:
        expected = {h.url for h in search(db, text, limit=50)}
        assert {h.url for h in search(pg_url, text, limit=50)} == expected, text
        assert {h.url for h in search(back, text, limit=50)} == expected, text
    # a daemon can go on writing the copy: its ids continue after the copied ones
    from archiver.models import Article

    with PgStore(pg_url) as b:
        saved = b.save_article(
            Article(url="https://x.test/new", title="New", body="A new story " * 20), source="x"
        )
        assert saved.outcome == "new" and saved.article_id == 10


def test_an_interrupted_copy_resumes_without_duplicates(
    tmp_path: Path, site: Site, pg_url: str
) -> None:
    assert run("poll", "--config", str(write_config(tmp_path, site)))[0] == 0
    db = tmp_path / "var" / "archive.db"
    seen: list[int] = []

    def stop_midway(done: int, total: int) -> None:
        seen.append(done)
        if len(seen) == 4:
            raise KeyboardInterrupt

    with Store(db, readonly=True) as src, PgStore(pg_url) as dest:
        with pytest.raises(KeyboardInterrupt):
            copy_archive(src, dest, batch=2, progress=stop_midway)
        partial = counts(dest)
        assert 0 < sum(partial.values()) < sum(counts(src).values())
        gin = "SELECT to_regclass('idx_articles_search_tsv') IS NOT NULL"
        assert dest.conn.execute(gin).fetchone()[0] is False  # built after the last batch
        result = copy_archive(src, dest, batch=2)
        assert result.resumed
        assert counts(dest) == counts(src)
        assert dest.integrity_problems() == []
        assert dest.conn.execute(gin).fetchone()[0] is True
        dest.conn.execute("SET enable_seqscan = off")
        plan = dest.conn.execute(
            "EXPLAIN SELECT rowid FROM articles_search WHERE tsv @@ 'walrus'::tsquery"
        ).fetchall()
        assert "idx_articles_search_tsv" in " ".join(str(r[0]) for r in plan)


def test_an_archive_whose_copy_stopped_gets_its_gin_index_at_migrate(
    tmp_path: Path, site: Site, pg_url: str
) -> None:
    assert run("poll", "--config", str(write_config(tmp_path, site)))[0] == 0

    def stop_at_once(done: int, total: int) -> None:
        if done:
            raise KeyboardInterrupt

    gin = "SELECT to_regclass('idx_articles_search_tsv') IS NOT NULL"
    with Store(tmp_path / "var" / "archive.db", readonly=True) as src, PgStore(pg_url) as dest:
        with pytest.raises(KeyboardInterrupt):
            copy_archive(src, dest, batch=2, progress=stop_at_once)
        assert dest.conn.execute(gin).fetchone()[0] is False
        dest.migrate()  # what the next `archiver run` on it does first
        assert dest.conn.execute(gin).fetchone()[0] is True


def test_copy_refuses_a_destination_with_articles_of_its_own(
    tmp_path: Path, site: Site, pg_url: str
) -> None:
    assert run("poll", "--config", str(write_config(tmp_path, site)))[0] == 0
    db = tmp_path / "var" / "archive.db"
    other = tmp_path / "other"
    other.mkdir()
    assert run("poll", "--config", str(write_config(other, site)))[0] == 0
    code, _out, err = run("copy", str(db), str(other / "var" / "archive.db"))
    assert code != 0 and "holds 9 articles" in err
    with Store(db, readonly=True) as src, PgStore(pg_url) as dest:
        copy_archive(src, dest)
        with pytest.raises(ArchiverError, match="older archiver"):
            copy_archive(Store(tmp_path / "missing.db"), dest)
