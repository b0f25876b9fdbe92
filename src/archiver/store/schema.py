"""The archive's schema as numbered migrations.

``Store.migrate()`` applies, in one ``BEGIN IMMEDIATE`` transaction, every migration an
archive lacks and records it in ``schema_migrations``; an archive made by an older version
is brought forward without losing a row. Add a step at the end; never edit a shipped one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported by the Store only when a migration runs (see store.core)
    import sqlite_utils

FTS_COLUMNS = ("title", "lead", "body")
FTS_TOKENIZE = "unicode61 remove_diacritics 2"


def _m1_core(db: sqlite_utils.Database) -> None:
    db.table("sources").create(
        {
            "name": str,
            "kind": str,
            "url": str,
            "every_s": float,
            "enabled": int,
            "etag": str,
            "last_modified": str,
            "last_polled": str,
            "last_outcome": str,
            "next_check": str,
            "error_count": int,
            "last_error": str,
            "polls": int,
            "not_modified": int,
            "added": str,
        },
        pk="name",
        defaults={"error_count": 0, "polls": 0, "not_modified": 0, "enabled": 1},
    )
    db.table("articles").create(
        {
            "id": int,
            "url": str,
            "source": str,
            "agency": str,
            "site_name": str,
            "title": str,
            "lead": str,
            "body": str,
            "dateline": str,
            "dateline_place": str,
            "dateline_date": str,
            "dateline_agency": str,
            "published": str,
            "published_from": str,
            "updated": str,
            "updated_from": str,
            "authors": str,
            "tags": str,
            "section": str,
            "language": str,
            "word_count": int,
            "paywalled": int,
            "extractor": str,
            "canonical_url": str,
            "fetched_url": str,
            "content_hash": str,
            "simhash": int,
            "cluster_id": int,
            "first_seen": str,
            "last_seen": str,
            "revision_count": int,
        },
        pk="id",
        not_null={"url", "body"},
        defaults={"revision_count": 1, "paywalled": 0},
    )
    db.table("articles").create_index(["url"], unique=True)
    for column in ("source", "published", "cluster_id", "language", "content_hash"):
        db.table("articles").create_index([column])
    db.table("articles").enable_fts(list(FTS_COLUMNS), create_triggers=True, tokenize=FTS_TOKENIZE)
    db.table("fetches").create(
        {
            "id": int,
            "at": str,
            "source": str,
            "url": str,
            "status": int,
            "bytes": int,
            "ms": int,
            "error": str,
        },
        pk="id",
    )
    db.table("fetches").create_index(["source", "at"])
    db.table("failures").create(
        {
            "url": str,
            "source": str,
            "first_at": str,
            "last_at": str,
            "attempts": int,
            "final": int,
            "error": str,
        },
        pk="url",
        defaults={"final": 0},
    )


def _m2_versions(db: sqlite_utils.Database) -> None:
    """Issue 5: every URL of a story, every version, the link keys that decide re-fetches,
    and the SimHash bands that find near-duplicates by index."""
    from archiver.dedup import bands, content_hash, simhash, to_signed64

    db.table("article_urls").create(
        {"url": str, "article_id": int, "kind": str, "first_seen": str},
        pk="url",
        foreign_keys=[("article_id", "articles", "id")],
    )
    db.table("article_urls").create_index(["article_id"])
    db.table("revisions").create(
        {
            "id": int,
            "article_id": int,
            "number": int,
            "seen_at": str,
            "content_hash": str,
            "changed": str,
            "title": str,
            "lead": str,
            "body": str,
            "published": str,
            "updated": str,
            "fetched_url": str,
            "warc_file": str,
            "warc_offset": int,
            "warc_length": int,
            "warc_record_id": str,
            "payload_digest": str,
        },
        pk="id",
        foreign_keys=[("article_id", "articles", "id")],
    )
    db.table("revisions").create_index(["article_id", "number"], unique=True)
    db.table("revisions").create_index(["warc_record_id"])
    db.table("link_keys").create(
        {
            "identity": str,
            "article_id": int,
            "source": str,
            "url": str,
            "lastmod": str,
            "first_seen": str,
            "last_fetched": str,
            "revisits": int,
            "next_revisit": str,
        },
        pk="identity",
        defaults={"revisits": 0},
    )
    db.table("link_keys").create_index(["source", "next_revisit"])
    for band in range(4):
        db.table("articles").add_column(f"sh{band}", int)
        db.table("articles").create_index([f"sh{band}"])
    # bring the rows of an older archive forward: their URL, hashes and first revision
    rows = db.execute(
        "SELECT id, url, fetched_url, title, lead, body, published, updated, first_seen"
        " FROM articles"
    ).fetchall()
    for id_, url, fetched, title, lead, body, published, updated, first_seen in rows:
        sh = simhash("\n\n".join(p for p in (title, lead, body) if p))
        db.execute(
            "UPDATE articles SET content_hash = ?, simhash = ?, sh0 = ?, sh1 = ?, sh2 = ?,"
            " sh3 = ? WHERE id = ?",
            [content_hash(title, lead, body), to_signed64(sh), *bands(sh), id_],
        )
        for kind, u in (("canonical", url), ("fetched", fetched)):
            if u:
                db.execute(
                    "INSERT OR IGNORE INTO article_urls VALUES (?, ?, ?, ?)",
                    [u, id_, kind, first_seen],
                )
        db.execute(
            "INSERT INTO revisions (article_id, number, seen_at, content_hash, changed, title,"
            " lead, body, published, updated, fetched_url) VALUES (?, 1, ?, ?, '', ?, ?, ?, ?,"
            " ?, ?)",
            [
                id_,
                first_seen,
                content_hash(title, lead, body),
                title,
                lead,
                body,
                published,
                updated,
                fetched,
            ],
        )


def _m3_lean_updates(db: sqlite_utils.Database) -> None:
    """Re-index a story in FTS only when its text changes, not when ``last_seen`` or
    ``cluster_id`` moves; an index for the newest stories of one source."""
    cols = ", ".join(FTS_COLUMNS)
    old = ", ".join(f"old.{c}" for c in FTS_COLUMNS)
    new = ", ".join(f"new.{c}" for c in FTS_COLUMNS)
    db.execute("DROP TRIGGER IF EXISTS articles_au")
    db.execute(
        f"CREATE TRIGGER articles_au AFTER UPDATE OF {cols} ON articles BEGIN"
        f" INSERT INTO articles_fts (articles_fts, rowid, {cols})"
        f" VALUES('delete', old.rowid, {old});"
        f" INSERT INTO articles_fts (rowid, {cols}) VALUES (new.rowid, {new});"
        " END"
    )
    db.table("articles").create_index(["source", "published"])


def _m4_gone(db: sqlite_utils.Database) -> None:
    """When a revisit found a story removed from its site (404 or 410)."""
    db.table("articles").add_column("gone_at", str)


def _m5_analyzed_search(db: sqlite_utils.Database) -> None:
    """Issue 10: the analyzed index ``articles_search`` (stems per language, CJK bigrams),
    filled by the store, replaces ``articles_fts`` and its triggers. Older articles are
    indexed from their stored text right after, in batches (``searchindex.backfill``)."""
    from archiver.store import searchindex

    conn = db.conn
    for trigger in ("articles_ai", "articles_ad", "articles_au"):
        conn.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    conn.execute("DROP TABLE IF EXISTS articles_fts")
    searchindex.create(conn)


def _m6_leases(db: sqlite_utils.Database) -> None:
    """Issue 13: one poller per source at a time (``store.leases``)."""
    db.table("leases").create(
        {
            "source": str,
            "holder": str,
            "pid": int,
            "host": str,
            "acquired_at": str,
            "expires_at": str,
        },
        pk="source",
        not_null={"holder", "expires_at"},
    )


def _m7_reextract_progress(db: sqlite_utils.Database) -> None:
    """How far an ``archiver reextract`` run got, so an interrupted one resumes there."""
    db.table("reextract_runs").create(
        {
            "id": int,
            "scope": str,  # the --source filter and the rules, as one key
            "started_at": str,
            "updated_at": str,
            "finished_at": str,
            "file": str,  # the last capture filed: its WARC file and offset
            "offset": int,
            "done": int,  # captures handled so far
        },
        pk="id",
    )


def _m8_listing_cache(db: sqlite_utils.Database) -> None:
    """Issue 16: a listing whose links were not all handled keeps its validators; its last
    capture is where the next poll reads it again on a 304, instead of downloading it."""
    db.conn.execute("ALTER TABLE sources ADD COLUMN listing_capture TEXT")
    db.conn.execute("ALTER TABLE sources ADD COLUMN links_left INTEGER NOT NULL DEFAULT 0")


def _m9_search_analyzer(db: sqlite_utils.Database) -> None:
    """Issue 10: words are lemmatized before stemming and an exact section serves quoted
    phrases; ``search_analyzer`` records the analyzer that built the index, and the store
    (``searchindex.keep_current``) indexes every article again from its stored text."""
    db.conn.execute(
        "CREATE TABLE IF NOT EXISTS search_analyzer"
        " (id INTEGER PRIMARY KEY CHECK (id = 1), version TEXT NOT NULL)"
    )


MIGRATIONS: list[tuple[int, str, Callable[[sqlite_utils.Database], None]]] = [
    (1, "core: sources, articles + FTS5, fetches, failures", _m1_core),
    (2, "versions: article_urls, revisions, link_keys, simhash bands", _m2_versions),
    (3, "FTS re-indexed on text updates only; index on source, published", _m3_lean_updates),
    (4, "articles.gone_at: stories removed from their site", _m4_gone),
    (5, "analyzed search index articles_search replaces articles_fts", _m5_analyzed_search),
    (6, "leases: one poller per source at a time", _m6_leases),
    (7, "reextract_runs: where an interrupted re-extraction resumes", _m7_reextract_progress),
    (
        8,
        "sources.listing_capture, links_left: a listing re-read from its capture",
        _m8_listing_cache,
    ),
    (9, "search_analyzer: lemmas and exact phrases; the index is rebuilt", _m9_search_analyzer),
]
