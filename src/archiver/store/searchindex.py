"""The analyzed full-text index: ``articles_search`` filled by the store, and its backfill.

``articles_search`` is a plain FTS5 table (``ascii`` tokenizer, ``_`` a token character) over
the analyzer's terms of each article's title, lead and body (``archiver.search.analyzer``),
rowid = ``articles.id``. Python analyzes, so the store fills it in the transaction that writes
the article; no trigger, no custom tokenizer: any SQLite tool and Datasette open the archive.
The index keeps the language it analyzed each article in (``language``, unindexed: the
stored one, which the extractor detects when the page does not say), so snippets are cut
with the same analysis. ``search_languages`` lists the languages the archive holds, the
readings a query is analyzed in.
``search_backfill`` remembers how far building the index over older articles went, so an
interrupted build resumes where it stopped; ``search_analyzer`` records the analyzer version
the index was built with, so an archive indexed by another is indexed again (``keep_current``).
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass

INDEX = "articles_search"
COLUMNS = ("title", "lead", "body")
BATCH = 500

log = logging.getLogger("archiver.store")

#: (articles indexed so far, articles to index in all)
Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class Analyzed:
    """An article's index text computed before its transaction (by an extraction worker):
    the analyzer's terms of ``title``, ``lead`` and ``body`` in ``language`` (the language
    key), and the text they were computed from (``source``: title, lead, body and stored
    language), so the store uses them only for the very row it writes."""

    title: str
    lead: str
    body: str
    language: str | None
    source: tuple[str | None, str | None, str | None, str | None]

    def fits(
        self, title: str | None, lead: str | None, body: str | None, stored: str | None
    ) -> bool:
        """Whether these terms were computed from this stored text."""
        return self.source == (title, lead, body, stored)


def analyzed(title: str | None, lead: str | None, body: str | None, stored: str | None) -> Analyzed:
    """The index text of one article (``stored``: the language as the article row keeps
    it). Pure; what ``index_articles`` computes itself when it is not given this."""
    from archiver.search.analyzer import analyze, language_key

    lang = language_key(stored)
    return Analyzed(
        analyze(title, lang),
        analyze(lead, lang),
        analyze(body, lang),
        lang,
        (title, lead, body, stored),
    )


def create(conn: sqlite3.Connection) -> None:
    """The index tables (empty); migration 5."""
    from archiver.search.analyzer import FTS_TOKENIZE  # archiver.search reads this module

    conn.execute(
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {INDEX} USING fts5("
        f"{', '.join(COLUMNS)}, language UNINDEXED, tokenize = '{FTS_TOKENIZE}')"
    )
    conn.execute("CREATE TABLE IF NOT EXISTS search_languages (language TEXT PRIMARY KEY)")
    conn.execute(
        "CREATE TABLE IF NOT EXISTS search_backfill"
        " (id INTEGER PRIMARY KEY CHECK (id = 1), done_through INTEGER, last_id INTEGER)"
    )
    reindex_all(conn)  # older articles to index; newer ones are indexed as they are written


def reindex_all(conn: sqlite3.Connection) -> None:
    """Have every stored article indexed again (by ``backfill``: in batches, resumable)."""
    last = conn.execute("SELECT max(id) FROM articles").fetchone()[0]
    conn.execute("DELETE FROM search_backfill WHERE id = 1")
    if last is not None:
        conn.execute(
            "INSERT INTO search_backfill (id, done_through, last_id) VALUES (1, 0, ?)", (last,)
        )


def indexed_by(conn: sqlite3.Connection) -> str | None:
    """The analyzer version (``analyzer.VERSION``) the index was built with, if recorded."""
    try:
        row = conn.execute("SELECT version FROM search_analyzer WHERE id = 1").fetchone()
    except sqlite3.Error:  # an archive from before migration 9
        return None
    return str(row[0]) if row is not None else None


def keep_current(conn: sqlite3.Connection) -> bool:
    """When the index was built by another analyzer than this one (a new lemma table, a
    new stemmer, a new analysis), have every article re-indexed from its stored text and
    record this analyzer; True when that was needed. Runs inside the caller's transaction."""
    from archiver.search.analyzer import VERSION

    if indexed_by(conn) == VERSION:
        return False
    log.info("search index: built by another analyzer; indexing the stored text again")
    reindex_all(conn)
    conn.execute("DELETE FROM search_analyzer WHERE id = 1")
    conn.execute("INSERT INTO search_analyzer (id, version) VALUES (1, ?)", (VERSION,))
    return True


def index_articles(
    conn: sqlite3.Connection,
    ids: Sequence[int],
    precomputed: Mapping[int, Analyzed] | None = None,
) -> int:
    """(Re-)index the articles ``ids`` from their stored text; returns how many were indexed.
    ``precomputed``: index text already analyzed (by an extraction worker), used for an
    article whose stored text is the text it was computed from; the rest is analyzed here.

    Runs inside the caller's transaction."""
    given = precomputed or {}
    count = 0
    for i in range(0, len(ids), BATCH):
        chunk = list(ids[i : i + BATCH])
        marks = ",".join("?" * len(chunk))
        rows = conn.execute(
            f"SELECT id, title, lead, body, language FROM articles WHERE id IN ({marks})", chunk
        ).fetchall()
        conn.execute(f"DELETE FROM {INDEX} WHERE rowid IN ({marks})", chunk)
        values = []
        for id_, title, lead, body, stored in rows:
            found = given.get(id_)
            if found is None or not found.fits(title, lead, body, stored):
                found = analyzed(title, lead, body, stored)
            values.append((id_, found.title, found.lead, found.body, found.language))
        conn.executemany(
            f"INSERT INTO {INDEX} (rowid, title, lead, body, language) VALUES (?, ?, ?, ?, ?)",
            values,
        )
        languages = {v[4] or "" for v in values}
        conn.executemany(
            "INSERT OR IGNORE INTO search_languages (language) VALUES (?)",
            [(lang,) for lang in sorted(languages)],
        )
        count += len(rows)
    return count


def staleness(conn: sqlite3.Connection) -> str | None:
    """Why a search of this archive may miss stories now, in words; None when the index is
    whole and was built by this analyzer. Reads only (a reader cannot fix it: the next
    command that writes, ``archiver poll`` or the daemon, does)."""
    from archiver.search.analyzer import VERSION

    state = pending(conn)
    if state is not None:
        done_through, last_id = state
        total, done = conn.execute(
            "SELECT count(*), coalesce(sum(CASE WHEN id <= ? THEN 1 ELSE 0 END), 0)"
            " FROM articles WHERE id <= ?",
            (done_through, last_id),
        ).fetchone()
        return (
            f"the search index is being built: {int(done):,} of {int(total):,} articles so far;"
            " results may be incomplete until `archiver poll` or the daemon finishes it"
        )
    built = indexed_by(conn)
    if built is not None and built != VERSION:
        return (
            "the search index was built by another version of archiver's analyzer; results"
            " may differ until `archiver poll` or the daemon indexes the archive again"
        )
    return None


def pending(conn: sqlite3.Connection) -> tuple[int, int] | None:
    """(done through id, last id) of an unfinished backfill, None when there is none."""
    row = conn.execute("SELECT done_through, last_id FROM search_backfill WHERE id = 1").fetchone()
    return (int(row[0]), int(row[1])) if row is not None else None


def backfill(
    conn: sqlite3.Connection,
    transaction: Callable[[], AbstractContextManager[sqlite3.Connection]],
    progress: Progress | None = None,
    batch: int = 2000,
) -> int:
    """Index the articles written before the index existed, ``batch`` per transaction, each
    recording how far it got: stopping at any point loses at most one batch of work."""
    state = pending(conn)
    if state is None:
        return 0
    done_through, last_id = state
    total = conn.execute("SELECT count(*) FROM articles WHERE id <= ?", (last_id,)).fetchone()[0]
    done = conn.execute("SELECT count(*) FROM articles WHERE id <= ?", (done_through,)).fetchone()[
        0
    ]
    indexed = 0
    while True:
        with transaction() as tx:
            ids = [
                r[0]
                for r in tx.execute(
                    "SELECT id FROM articles WHERE id > ? AND id <= ? ORDER BY id LIMIT ?",
                    (done_through, last_id, batch),
                )
            ]
            if not ids:
                tx.execute("DELETE FROM search_backfill WHERE id = 1")
                break
            indexed += index_articles(tx, ids)
            done_through = ids[-1]
            tx.execute("UPDATE search_backfill SET done_through = ? WHERE id = 1", (done_through,))
        done += len(ids)
        if progress is not None:
            progress(done, total)
        log.info("search index: %d of %d articles", done, total)
    return indexed


def languages(conn: sqlite3.Connection) -> list[str | None]:
    """The languages of the archive's articles (None for articles without one)."""
    try:
        rows = conn.execute("SELECT language FROM search_languages ORDER BY language").fetchall()
    except sqlite3.OperationalError:
        return []
    return [r[0] or None for r in rows]
