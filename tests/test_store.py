"""The archive store: schema and migrations, WAL, one row per URL, FTS kept by triggers."""

from __future__ import annotations

import dataclasses
import sqlite3
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils

from archiver.config import SourceConfig
from archiver.errors import NotFound, StoreError
from archiver.models import Article, Dateline, RequestRecord
from archiver.store import MIGRATIONS, Store
from archiver.store.searchindex import analyzed

NOW = datetime(2024, 5, 16, 12, 0, tzinfo=UTC)


def article(n: int, **kw: object) -> Article:
    fields: dict[str, Any] = {
        "url": f"https://example.org/news/{n}",
        "title": f"Story {n}",
        "body": f"Body of story {n} about harbour cranes.",
    }
    fields.update(kw)
    return Article(**fields)


def test_pragmas_wal_and_fts_visible_to_datasette(store: Store) -> None:
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    assert store.conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000
    db = sqlite_utils.Database(store.path)
    assert db["articles_search"].exists()  # the analyzed index, named in Datasette's metadata
    assert not db.table("articles").triggers  # the store fills the index, no trigger


def test_migrations_are_recorded_and_idempotent(store: Store) -> None:
    assert store.schema_version() == max(v for v, _, _ in MIGRATIONS)
    assert store.migrate() == store.schema_version()
    rows = store.conn.execute("SELECT count(*) FROM schema_migrations").fetchone()[0]
    assert rows == len(MIGRATIONS)


def test_a_later_migration_applies_to_an_existing_archive(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "old.db"
    with Store(path) as old:
        old.migrate()
        old.save_article(article(1), source="s")

    def add_notes(db: sqlite_utils.Database) -> None:
        db.table("notes").create({"id": int, "text": str}, pk="id")

    monkeypatch.setattr(
        "archiver.store.schema.MIGRATIONS", [*MIGRATIONS, (999, "notes", add_notes)]
    )
    with Store(path) as new:
        assert new.migrate() == 999
        assert new.count_articles() == 1
        assert new.db["notes"].exists()


def test_one_row_per_url_and_last_seen_moves(store: Store) -> None:
    first = store.save_article(article(1), source="s", seen_at=NOW)
    again = store.save_article(article(1), source="s", seen_at=NOW + timedelta(hours=1))
    assert (first.outcome, again.outcome) == ("new", "unchanged")
    assert first.article_id == again.article_id
    row = store.get_article(first.article_id)
    assert row["first_seen"] == "2024-05-16T12:00:00+00:00"
    assert row["last_seen"] == "2024-05-16T13:00:00+00:00"
    assert store.count_articles() == 1


def test_fields_round_trip(store: Store) -> None:
    a = article(
        2,
        lead="The lead.",
        dateline=Dateline("BAKU, January 30. /TASS/.", "BAKU", "January 30", "TASS"),
        published=datetime(2021, 1, 30, 12, 5, tzinfo=UTC),
        published_from="jsonld",
        authors=("Anna Li", "Ivan Petrov"),
        tags=("defence",),
        language="en",
        agency="TASS",
    )
    article_id = store.save_article(a, source="tass-en", fetched_url=a.url, seen_at=NOW).article_id
    row = store.get_article(a.url)
    assert row["id"] == article_id
    assert row["authors"] == ["Anna Li", "Ivan Petrov"]
    assert row["tags"] == ["defence"]
    assert row["dateline_place"] == "BAKU" and row["dateline_agency"] == "TASS"
    assert row["published"] == "2021-01-30T12:05:00+00:00"
    assert row["cluster_id"] == article_id
    assert row["word_count"] == a.word_count
    with pytest.raises(NotFound):
        store.get_article("https://example.org/missing")


def test_fts_follows_inserts(store: Store) -> None:
    store.save_article(article(3, body="Cormorants nest on the pier."), source="s")
    hits = store.conn.execute(  # no language given: the words are folded, not stemmed
        "SELECT rowid FROM articles_search WHERE articles_search MATCH 'cormorants'"
    ).fetchall()
    assert len(hits) == 1
    assert store.integrity_problems() == []


def test_index_text_analyzed_beforehand_is_used_only_for_its_own_text(store: Store) -> None:
    first = article(4, body="Cormorants nest on the pier.", language="en")
    given = analyzed(first.title, first.lead, first.body, first.language)
    assert given == analyzed("Story 4", None, "Cormorants nest on the pier.", "en")
    # terms that differ from what the store would compute show which ones it used
    marked = dataclasses.replace(given, body=given.body + " precomputed_en")
    saved = store.save_article(first, source="s", search=marked)
    # text that is not the one analyzed (a worker's terms for another version) is ignored
    second = article(5, body="Herons nest on the quay.", language="en")
    other = store.save_article(second, source="s", search=marked)

    def body_of(article_id: int) -> str:
        row = store.conn.execute(
            "SELECT body FROM articles_search WHERE rowid = ?", (article_id,)
        ).fetchone()
        return str(row[0])

    assert body_of(saved.article_id).endswith(" precomputed_en")
    assert body_of(other.article_id) == analyzed(None, None, second.body, "en").body
    assert "precomputed_en" not in body_of(other.article_id)


def test_failed_write_rolls_back_everything(store: Store) -> None:
    with pytest.raises(RuntimeError), store.transaction() as conn:
        conn.execute("INSERT INTO articles (url, body) VALUES ('https://x/1', 'b')")
        raise RuntimeError("boom")
    assert store.count_articles() == 0
    assert store.integrity_problems() == []


def test_bulk_load_skips_known_urls(store: Store) -> None:
    from archiver.store import article_row

    rows = [
        article_row(article(i), source="bulk", fetched_url=None, seen_at=NOW) for i in range(50)
    ]
    assert store.add_articles(rows, batch=7) == 50
    assert store.add_articles(rows[:10]) == 0
    assert store.count_articles("bulk") == 50
    assert (
        store.conn.execute("SELECT count(*) FROM articles WHERE cluster_id IS NULL").fetchone()[0]
        == 0
    )


def test_sources_sync_due_and_poll_state(store: Store) -> None:
    a = SourceConfig(name="a", kind="feed", url="https://a.org/feed")
    b = SourceConfig(name="b", kind="sitemap", url="https://b.org/sitemap.xml")
    store.sync_sources([a, b], NOW)
    assert set(store.due_sources(NOW)) == {"a", "b"}
    store.record_poll(
        "a",
        outcome="ok",
        polled_at=NOW,
        next_check=NOW + timedelta(minutes=5),
        etag='"v1"',
        last_modified="Thu, 16 May 2024 11:00:00 GMT",
    )
    assert store.due_sources(NOW) == ["b"]
    state = store.source_state("a")
    assert state.etag == '"v1"' and state.error_count == 0
    store.record_poll("a", outcome="failed", polled_at=NOW, next_check=NOW, error="timeout")
    store.record_poll("a", outcome="failed", polled_at=NOW, next_check=NOW, error="timeout")
    state = store.source_state("a")
    assert state.error_count == 2 and state.last_error == "timeout"
    assert state.etag == '"v1"'  # a failure keeps the validators
    store.record_poll(
        "a", outcome="not_modified", polled_at=NOW, next_check=NOW, keep_validators=True
    )
    assert store.source_state("a").error_count == 0
    assert store.source_state("a").etag == '"v1"'
    # removed from config: disabled, history kept; a changed URL drops its validators
    store.sync_sources([SourceConfig(name="a", kind="feed", url="https://a.org/other")], NOW)
    health = {r.name: r for r in store.sources_health()}
    assert health["b"].enabled is False
    assert health["a"].etag is None and health["a"].polls == 4


def test_fetch_log_and_failures(store: Store) -> None:
    store.record_fetches(
        "a",
        [
            RequestRecord("https://a.org/1", NOW, 200, 1234, 56),
            RequestRecord("https://a.org/2", NOW, None, 0, 30000, "timeout"),
        ],
    )
    rows = store.conn.execute("SELECT url, status, error FROM fetches ORDER BY id").fetchall()
    assert [tuple(r) for r in rows] == [
        ("https://a.org/1", 200, None),
        ("https://a.org/2", None, "timeout"),
    ]
    urls = ["https://a.org/1", "https://a.org/2"]
    for _ in range(3):
        store.record_failure("https://a.org/1", "a", "parse error", NOW)
    store.record_failure("https://a.org/2", "a", "not an article", NOW, final=True)
    assert store.given_up(urls, 3) == set(urls)
    assert store.given_up(urls, 4) == {"https://a.org/2"}


def test_writers_in_threads_do_not_collide(store: Store) -> None:
    errors: list[BaseException] = []

    def write(offset: int) -> None:
        try:
            for i in range(40):
                store.save_article(article(offset + i), source="t")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(k * 1000,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert store.count_articles() == 160


def test_second_process_writer_waits_instead_of_failing(store: Store) -> None:
    other = sqlite3.connect(store.path, isolation_level=None, timeout=0.01, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    released = threading.Timer(0.3, lambda: other.execute("COMMIT"))
    released.start()
    store.save_article(article(9), source="s")  # waits on busy_timeout, then writes
    released.join()
    assert store.count_articles() == 1


def test_unopenable_archive_is_a_store_error(tmp_path: Path) -> None:
    folder = tmp_path / "dir.db"
    folder.mkdir()
    with pytest.raises(StoreError, match="cannot open the archive"):
        Store(folder).migrate()


def test_bulk_load_uses_index_text_analyzed_elsewhere_only_for_its_own_text(
    store: Store,
) -> None:
    from archiver.store import article_row
    from archiver.store.searchindex import Analyzed

    rows = [
        article_row(article(i, language="en"), source="bulk", fetched_url=None, seen_at=NOW)
        for i in range(3)
    ]

    def given(row: dict[str, Any], source_title: str) -> Analyzed:
        source = (source_title, row["lead"], row["body"], row["language"])
        return Analyzed("marker_title", "", "marker_body", "en", source)

    search = {
        rows[0]["url"]: given(rows[0], rows[0]["title"]),  # computed from this very text
        rows[1]["url"]: given(rows[1], "another title"),  # from other text: not used
    }
    assert store.add_articles(rows, search=search) == 3
    indexed = dict(store.conn.execute("SELECT rowid, title FROM articles_search").fetchall())
    ids = {r[1]: r[0] for r in store.conn.execute("SELECT id, url FROM articles")}
    assert indexed[ids[rows[0]["url"]]] == "marker_title"
    assert indexed[ids[rows[1]["url"]]] != "marker_title"
    assert indexed[ids[rows[2]["url"]]] == indexed[ids[rows[1]["url"]]].replace("1", "2")
    assert store.held_languages() == ["en"]
