"""Migration 5: an archive made before the analyzed index gains it from its stored text,
with progress, resumably, without refetching anything."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from archiver.search import analyzer, index_warning, search
from archiver.store import Store, schema, searchindex
from archiver.timeutil import to_iso, utcnow

RUSSIAN = "Министры обсудили вопросы на переговорах в Женеве"
ENGLISH = "Rescuers searched the collapsed buildings"


def old_archive(path: Path, n: int) -> Path:
    """An archive at schema 4 (articles_fts kept by triggers), holding ``n`` articles."""
    store = Store(path)
    with store.transaction() as conn:
        store.db.table("schema_migrations").create(
            {"version": int, "name": str, "applied_at": str}, pk="version"
        )
        for version, name, step in schema.MIGRATIONS[:4]:
            step(store.db)
            conn.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, ?)", (version, name, to_iso(utcnow()))
            )
        for i in range(1, n + 1):
            ru = i % 2 == 0
            conn.execute(
                "INSERT INTO articles (url, title, body, language, first_seen) VALUES (?,?,?,?,?)",
                (
                    f"https://agency.test/{i}",
                    f"Story {i}",
                    RUSSIAN if ru else ENGLISH,
                    "ru" if ru else "en",
                    to_iso(utcnow()),
                ),
            )
    store.close()
    return path


def test_an_old_archive_is_brought_forward_with_progress(tmp_path: Path) -> None:
    path = old_archive(tmp_path / "old.db", 9)
    seen: list[tuple[int, int]] = []
    with Store(path) as store:
        assert store.schema_version() == 4
        assert store.migrate(progress=lambda done, total: seen.append((done, total))) >= 5
        tables = {r[0] for r in store.conn.execute("SELECT name FROM sqlite_master")}
        assert "articles_fts" not in tables and "articles_search" in tables
        assert searchindex.pending(store.conn) is None
        assert store.integrity_problems() == []
    assert seen == [(9, 9)]
    assert len(search(path, "переговоры", all_versions=True)) == 4  # dictionary form
    assert len(search(path, "building", all_versions=True)) == 5


def test_an_interrupted_build_resumes_where_it_stopped(tmp_path: Path) -> None:
    path = old_archive(tmp_path / "old.db", 10)
    calls: list[int] = []

    def stop_after_two(done: int, total: int) -> None:
        calls.append(done)
        if len(calls) == 2:
            raise KeyboardInterrupt

    with Store(path) as store:
        with store.transaction():
            for version, name, step in schema.MIGRATIONS[4:5]:
                step(store.db)
                store.conn.execute(
                    "INSERT INTO schema_migrations VALUES (?, ?, ?)",
                    (version, name, to_iso(utcnow())),
                )
        with pytest.raises(KeyboardInterrupt):
            searchindex.backfill(store.conn, store.transaction, stop_after_two, batch=3)
        assert calls == [3, 6]
        assert searchindex.pending(store.conn) == (6, 10)
        indexed = store.conn.execute("SELECT count(*) FROM articles_search").fetchone()[0]
        assert indexed == 6  # the two batches that committed
        warning = index_warning(path)
        assert warning is not None and "6 of 10 articles" in warning
        # a story changed before the backfill reaches it is indexed with its text then, once
        store.conn.execute("UPDATE articles SET body = ? WHERE id = 8", ("Ärzte in Berlin",))
    with Store(path) as store:
        resumed: list[tuple[int, int]] = []
        store.migrate(progress=lambda done, total: resumed.append((done, total)))
        assert resumed == [(10, 10)]
        rows = store.conn.execute("SELECT rowid FROM articles_search ORDER BY rowid").fetchall()
        assert [r[0] for r in rows] == list(range(1, 11))
        assert store.integrity_problems() == []
    assert [h.id for h in search(path, "Berlin")] == [8]
    assert index_warning(path) is None


def test_search_on_an_archive_without_the_index_says_what_to_do(tmp_path: Path) -> None:
    path = old_archive(tmp_path / "old.db", 1)
    from archiver.errors import StoreError

    with pytest.raises(StoreError, match="no search index yet"):
        search(path, "story")
    assert sqlite3.connect(path).execute("SELECT count(*) FROM articles").fetchone()[0] == 1


def test_an_archive_indexed_by_another_analyzer_is_indexed_again(tmp_path: Path) -> None:
    # migration 9, and any later change of analysis, lemma tables or stemmer
    path = old_archive(tmp_path / "old.db", 6)
    with Store(path) as store:
        store.migrate()
        assert searchindex.indexed_by(store.conn) == analyzer.VERSION
        with store.transaction() as conn:  # the index as another analyzer left it
            conn.execute("UPDATE articles_search SET title = 'stale', body = 'stale'")
            conn.execute("UPDATE search_analyzer SET version = 'an older analyzer'")
    assert search(path, "переговоры", all_versions=True) == []
    warning = index_warning(path)
    assert warning is not None and "another version" in warning
    seen: list[tuple[int, int]] = []
    with Store(path) as store:
        store.migrate(progress=lambda done, total: seen.append((done, total)))
        assert searchindex.indexed_by(store.conn) == analyzer.VERSION
        assert searchindex.pending(store.conn) is None
        assert store.integrity_problems() == []
    assert seen == [(6, 6)]
    assert len(search(path, "переговоры", all_versions=True)) == 3
    assert index_warning(path) is None
    assert len(search(path, '"на переговорах в Женеве"', all_versions=True)) == 3
    assert search(path, '"на переговорах в Москве"', all_versions=True) == []
    with Store(path) as store:  # nothing to do once current
        seen.clear()
        store.migrate(progress=lambda done, total: seen.append((done, total)))
    assert seen == []


def test_archiver_search_warns_while_the_index_is_not_current(tmp_path: Path) -> None:
    from test_e2e import run

    path = old_archive(tmp_path / "old.db", 4)
    config = tmp_path / "config.toml"
    config.write_text(f'[archive]\npath = "{path}"\n', encoding="utf-8")
    with Store(path) as store:
        store.migrate()
        with store.transaction() as conn:
            conn.execute("UPDATE search_analyzer SET version = 'an older analyzer'")
    code, out, err = run("search", "building", "--config", str(config))
    assert code == 0 and "Story 1" in out
    assert err.count("\n") == 1 and err.startswith("warning: the search index was built by")
    with Store(path) as store:
        store.migrate()
    code, out, err = run("search", "building", "--config", str(config))
    assert code == 0 and "Story 1" in out and err == ""
