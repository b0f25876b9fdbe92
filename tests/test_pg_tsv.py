"""The tsvector a bulk load builds in Python (``store.pg.tsv``) is the one the store writes
(``archiver_tsv``, migration 101's one-pass function) and the one migration 5's function
wrote; migration 101 keeps old rows and fills new and changed ones by its trigger."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from archiver.models import Article
from archiver.search.analyzer import analyze
from archiver.store.pg import schema
from archiver.store.pg.core import PgStore
from archiver.store.pg.tsv import tsvector_text

PAGES = Path(__file__).parent / "fixtures" / "pages"
TRICKY: list[tuple[str | None, str | None, str | None]] = [
    ("", "", ""),
    (None, None, None),
    ("a", None, "b"),
    (" x  y ", "\ty\n", "'q' \\z o'k back\\\\slash"),
    ("a " * 9000, "b " * 9000, "c b a"),  # past position 16383 (v5: too slow to compare)
    ("x" * 2500 + " y", "", "z " + "w" * 1999 + " " + "é" * 1000),  # a term of 2000+ bytes
    ("walrus_en walrus_en", "walrus_en", "the walrus_en walrus_en :*& | !"),
    ("Москв_ru мэр_ru", "北京 京市", "ソウル 서울_ko"),
]


def analyzed_fixtures() -> list[tuple[str | None, str | None, str | None]]:
    out: list[tuple[str | None, str | None, str | None]] = []
    for path in sorted(PAGES.glob("*.json")):
        page = json.loads(path.read_text(encoding="utf-8"))
        lang = page.get("language")
        fields = [page.get(k) for k in ("title", "lead", "body")]
        if any(isinstance(f, str) and f for f in fields):
            out.append(
                (
                    analyze(fields[0], lang),
                    analyze(fields[1], lang),
                    analyze(fields[2], lang),
                )
            )
    assert len(out) >= 10
    return out


@pytest.fixture
def conn(pg_url: str) -> Iterator[psycopg.Connection[tuple[object, ...]]]:
    with PgStore(pg_url) as store:
        store.migrate()
    with psycopg.connect(pg_url, autocommit=True) as connection:
        # migration 5's function, beside 101's, under another name
        connection.execute(schema.TSV_FUNCTION.replace("archiver_tsv(", "archiver_tsv_v5("))
        yield connection


def test_python_tsvector_is_the_stores(conn: psycopg.Connection[tuple[object, ...]]) -> None:
    cases = analyzed_fixtures() + TRICKY
    for title, lead, body in cases:
        text = tsvector_text(title, lead, body)
        row = conn.execute(
            "SELECT %s::tsvector = archiver_tsv(%s, %s, %s), length(%s::tsvector)",
            (text, title, lead, body, text),
        ).fetchone()
        assert row is not None and row[0] is True, (title, lead, body)
        if len(text) < 20_000:  # migration 5's function is quadratic in the terms
            same = conn.execute(
                "SELECT archiver_tsv(%s, %s, %s) = archiver_tsv_v5(%s, %s, %s)",
                (title, lead, body) * 2,
            ).fetchone()
            assert same == (True,), (title, lead, body)
    lexemes = conn.execute("SELECT length(%s::tsvector)", (tsvector_text(*cases[0]),)).fetchone()
    assert lexemes is not None and int(str(lexemes[0])) > 10  # not vacuous


def test_migration_101_keeps_rows_and_the_trigger_fills_new_ones(pg_url: str) -> None:
    body = "The walruses were counted on the ice of Franz Josef Land. " * 10
    with PgStore(pg_url) as store:
        with store.transaction() as tx:  # an archive made before 101: the generated column
            tx.raw.execute(
                "CREATE TABLE schema_migrations (version bigint PRIMARY KEY,"
                " name text, applied_at text)"
            )
            for version, name, steps in schema.MIGRATIONS:
                if version == 101:
                    continue
                for step in steps:
                    tx.raw.execute(step)
                tx.execute("INSERT INTO schema_migrations VALUES (?, ?, '')", (version, name))
        old = store.save_article(
            Article(url="https://x.test/old", title="Old walrus", body=body), source="x"
        )
        assert store.migrate() == 101
        new = store.save_article(
            Article(url="https://x.test/new", title="New tusks", body=body * 2), source="x"
        )
        differ = (
            "SELECT count(*) FROM articles_search"
            " WHERE tsv IS NULL OR tsv IS DISTINCT FROM archiver_tsv(title, lead, body)"
        )
        assert store.conn.execute(differ).fetchone()[0] == 0
        with store.transaction() as tx:
            tx.execute(
                "UPDATE articles_search SET title = 'walrus_en' WHERE rowid = ?", (new.article_id,)
            )
        assert store.conn.execute(differ).fetchone()[0] == 0
        assert (
            store.conn.execute(
                "SELECT count(*) FROM articles_search WHERE tsv @@ 'walrus_en:A'::tsquery"
            ).fetchone()[0]
            == 1
        )
        assert old.article_id != new.article_id
