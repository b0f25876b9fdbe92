"""The Store: connections, transactions, sources, the fetch log and article reads/writes.

Every write runs in ``BEGIN IMMEDIATE`` so a second writer (``archiver poll`` beside the
daemon, a maintenance command) waits for the lock instead of failing half-way; readers
(``archiver search``, Datasette) never block the writer and are never blocked (WAL).

Each thread gets its own connection, so the daemon's worker threads can write one article
at a time each without sharing a cursor. The schema is built by numbered migrations
(``schema_migrations``) so a later version adds tables without touching an existing archive.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import sqlite3
import sys
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import urlsplit

from archiver.config import SourceConfig
from archiver.dedup import DEFAULT_MAX_DISTANCE, canonical_url, story_keys
from archiver.dedup.filing import StoryKeys
from archiver.errors import NotFound, StoreError
from archiver.models import (
    Article,
    ArticleURL,
    CaptureRef,
    PollOutcome,
    RequestRecord,
    Revision,
    SourceHealth,
)
from archiver.store import schema, searchindex
from archiver.store.versions import (
    LinkState,
    Saved,
    link_state,
    remember_link,
    revisions_of,
    save_version,
    urls_of,
)
from archiver.timeutil import from_iso, to_iso, utcnow

if TYPE_CHECKING:
    import sqlite_utils

BUSY_TIMEOUT_MS = 30_000


def sqlite_utils_module() -> ModuleType:
    """sqlite-utils, which the migrations are written with, imported when first needed and
    without numpy and pandas: it loads them whenever they are installed (for column types
    the archive never uses), and the daemon would carry them (21 MB of numpy) for good."""
    if "sqlite_utils" not in sys.modules:
        blocked = [name for name in ("numpy", "pandas") if name not in sys.modules]
        for name in blocked:
            sys.modules[name] = None  # type: ignore[assignment]  # "import numpy" fails
        try:
            importlib.import_module("sqlite_utils")
        finally:
            for name in blocked:
                if name in sys.modules and sys.modules[name] is None:
                    del sys.modules[name]
    return sys.modules["sqlite_utils"]


@dataclass(frozen=True, slots=True)
class SourceState:
    """What the archive remembers about one source between polls."""

    name: str
    etag: str | None = None
    last_modified: str | None = None
    last_polled: datetime | None = None
    next_check: datetime | None = None
    error_count: int = 0
    last_outcome: str | None = None
    last_error: str | None = None
    # the last capture of the listing, when its links were not all handled: a 304 means
    # "read that again" rather than "nothing to do"
    listing_capture: CaptureRef | None = None
    links_left: bool = False


def _ref_json(ref: CaptureRef | None) -> str | None:
    return json.dumps(dataclasses.asdict(ref)) if ref is not None else None


def _ref_of(text: str | None) -> CaptureRef | None:
    if not text:
        return None
    try:
        return CaptureRef(**json.loads(text))
    except (ValueError, TypeError):
        return None


@dataclass(frozen=True, slots=True)
class LinkUpdate:
    """The listing entry a fetch came from, for ``link_keys``."""

    identity: str
    url: str
    lastmod: datetime | None = None
    revisit: tuple[timedelta, ...] = ()
    revisited: bool = False


# ------------------------------------------------------------------ rows


def article_row(
    article: Article,
    *,
    source: str | None,
    fetched_url: str | None,
    seen_at: datetime,
) -> dict[str, Any]:
    """An Article as an ``articles`` row (lists as JSON, datetimes as ISO UTC text); the
    content hash and SimHash are filled in from its ``StoryKeys`` by ``save_version``."""
    dl = article.dateline
    return {
        "url": article.url,
        "source": source,
        "agency": article.agency or (dl.agency if dl else None),
        "site_name": article.site_name,
        "title": article.title,
        "lead": article.lead,
        "body": article.body,
        "dateline": dl.text if dl else None,
        "dateline_place": dl.place if dl else None,
        "dateline_date": dl.date if dl else None,
        "dateline_agency": dl.agency if dl else None,
        "published": to_iso(article.published),
        "published_from": article.published_from,
        "updated": to_iso(article.updated),
        "updated_from": article.updated_from,
        "authors": json.dumps(list(article.authors), ensure_ascii=False),
        "tags": json.dumps(list(article.tags), ensure_ascii=False),
        "section": article.section,
        "language": article.language,
        "word_count": article.word_count,
        "paywalled": int(article.paywalled),
        "extractor": article.extractor,
        "canonical_url": article.canonical_url,
        "fetched_url": fetched_url,
        "content_hash": None,
        "simhash": None,
        "first_seen": to_iso(seen_at),
        "last_seen": to_iso(seen_at),
    }


def _decode_row(row: dict[str, Any]) -> dict[str, Any]:
    for key in ("authors", "tags"):
        if isinstance(row.get(key), str):
            try:
                row[key] = json.loads(row[key])
            except ValueError:
                row[key] = []
    return row


# ------------------------------------------------------------------ the store


class Store:
    """The archive database. Open it, ``migrate()`` once, then read and write."""

    def __init__(self, path: Path | str, *, readonly: bool = False) -> None:
        """``readonly``: never write, never create (read commands; see ``store.readonly``)."""
        self.path = Path(path)
        self.readonly = readonly
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

    # ---- connections

    @property
    def conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    @property
    def db(self) -> sqlite_utils.Database:
        """This thread's connection in sqlite-utils (the migrations use it)."""
        db: sqlite_utils.Database | None = getattr(self._local, "db", None)
        if db is None:
            db = sqlite_utils_module().Database(self.conn)
            self._local.db = db
        return db

    def _connect(self) -> sqlite3.Connection:
        if self.readonly:
            from archiver.store.readonly import open_readonly

            conn = open_readonly(self.path)
            conn.row_factory = sqlite3.Row
            return conn
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(
                self.path,
                isolation_level=None,
                check_same_thread=False,
                timeout=BUSY_TIMEOUT_MS / 1000,
            )
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if mode.lower() != "wal":
                raise StoreError(f"{self.path}: cannot switch the archive to WAL mode ({mode})")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA recursive_triggers = ON")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA journal_size_limit = 67108864")
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot open the archive: {exc}") from None
        except OSError as exc:  # the folder cannot be made: read-only, no permission
            raise StoreError(
                f"{self.path}: cannot create the archive's folder: {exc.strerror}"
            ) from None
        return conn

    def close(self) -> None:
        with self._lock:
            conns, self._all = self._all, []
        for conn in conns:
            with suppress(sqlite3.Error):
                conn.close()
        self._local = threading.local()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` … ``COMMIT``; any exception rolls the whole unit back."""
        if self.readonly:
            raise StoreError(f"{self.path}: opened read-only; this command cannot write")
        conn = self.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise StoreError(f"cannot start a write on the archive: {exc}") from None
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise StoreError(f"archive write failed and was rolled back: {exc}") from None
            raise

    def checkpoint(self) -> None:
        """Fold the WAL back into the database so it stays small over months."""
        with suppress(sqlite3.Error):  # busy readers: the next checkpoint will do it
            self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    # ---- schema

    def schema_version(self) -> int:
        found = self.conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
        ).fetchone()
        if found is None:
            return 0
        row = self.conn.execute("SELECT max(version) FROM schema_migrations").fetchone()
        return int(row[0] or 0)

    def migrate(self, progress: searchindex.Progress | None = None) -> int:
        """Apply the migrations this archive lacks, then finish building the search index
        over older articles if that is not done (resumable; ``progress(done, total)``
        after each batch); returns the schema version."""
        with self.transaction():
            self.conn.execute(  # as sqlite-utils made it in the archives made before
                'CREATE TABLE IF NOT EXISTS "schema_migrations" (\n   "version" INTEGER PRIMARY'
                ' KEY,\n   "name" TEXT,\n   "applied_at" TEXT\n)'
            )
            done = {r[0] for r in self.conn.execute("SELECT version FROM schema_migrations")}
            for version, name, step in schema.MIGRATIONS:
                if version in done:
                    continue
                step(self.db)
                self.conn.execute(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                    (version, name, to_iso(utcnow())),
                )
            searchindex.keep_current(self.conn)
        searchindex.backfill(self.conn, self.transaction, progress)
        return self.schema_version()

    # ---- sources

    def sync_sources(self, sources: Sequence[SourceConfig], now: datetime) -> None:
        """Bring the ``sources`` table in line with the config, keeping each source's state."""
        names = [s.name for s in sources]
        with self.transaction() as conn:
            for s in sources:
                conn.execute(
                    """INSERT INTO sources (name, kind, url, every_s, enabled, next_check, added,
                                            error_count, polls, not_modified)
                       VALUES (?, ?, ?, ?, ?, ?, ?, 0, 0, 0)
                       ON CONFLICT(name) DO UPDATE SET
                         kind = excluded.kind, every_s = excluded.every_s,
                         enabled = excluded.enabled,
                         etag = CASE WHEN url = excluded.url THEN etag END,
                         last_modified = CASE WHEN url = excluded.url THEN last_modified END,
                         next_check = CASE WHEN url = excluded.url THEN next_check
                                           ELSE excluded.next_check END,
                         url = excluded.url""",
                    (
                        s.name,
                        s.kind,
                        s.url,
                        s.every.total_seconds(),
                        int(s.enabled),
                        to_iso(now),
                        to_iso(now),
                    ),
                )
            marks = ",".join("?" * len(names))
            conn.execute(f"UPDATE sources SET enabled = 0 WHERE name NOT IN ({marks})", names)

    def due_sources(self, now: datetime) -> list[str]:
        rows = self.conn.execute(
            "SELECT name FROM sources WHERE enabled = 1 AND (next_check IS NULL OR next_check <= ?)"
            " ORDER BY next_check",
            (to_iso(now),),
        )
        return [r[0] for r in rows]

    def source_state(self, name: str) -> SourceState:
        row = self.conn.execute("SELECT * FROM sources WHERE name = ?", (name,)).fetchone()
        if row is None:
            return SourceState(name=name)
        return SourceState(
            name=name,
            etag=row["etag"],
            last_modified=row["last_modified"],
            last_polled=from_iso(row["last_polled"]),
            next_check=from_iso(row["next_check"]),
            error_count=row["error_count"] or 0,
            last_outcome=row["last_outcome"],
            last_error=row["last_error"],
            listing_capture=_ref_of(row["listing_capture"]),
            links_left=bool(row["links_left"]),
        )

    def record_poll(
        self,
        name: str,
        *,
        outcome: PollOutcome,
        polled_at: datetime,
        next_check: datetime,
        error: str | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
        keep_validators: bool = False,
        links_left: bool | None = None,
        listing_capture: CaptureRef | None = None,
    ) -> None:
        """Write a poll's outcome on its source: validators, schedule, error count, and
        (``links_left`` not None) whether links were left and where the listing's capture is."""
        failed = outcome in ("failed", "blocked")
        if next_check.microsecond:  # stored to the second: round up, never poll early
            next_check += timedelta(microseconds=1_000_000 - next_check.microsecond)
        with self.transaction() as conn:
            conn.execute(
                """UPDATE sources SET
                     last_polled = ?, last_outcome = ?, next_check = ?,
                     polls = polls + 1,
                     not_modified = not_modified + ?,
                     error_count = CASE WHEN ? THEN error_count + 1 ELSE 0 END,
                     last_error = CASE WHEN ? THEN ? ELSE last_error END,
                     etag = CASE WHEN ? THEN etag ELSE ? END,
                     last_modified = CASE WHEN ? THEN last_modified ELSE ? END,
                     links_left = coalesce(?, links_left),
                     listing_capture = CASE WHEN ? THEN listing_capture ELSE ? END
                   WHERE name = ?""",
                (
                    to_iso(polled_at),
                    outcome,
                    to_iso(next_check),
                    int(outcome == "not_modified"),
                    failed,
                    failed,
                    error,
                    keep_validators or failed,
                    etag,
                    keep_validators or failed,
                    last_modified,
                    None if links_left is None else int(links_left),
                    links_left is None,
                    _ref_json(listing_capture if links_left else None),
                    name,
                ),
            )

    def sources_health(self) -> list[SourceHealth]:
        """Every source the archive knows, enabled ones first, by name."""
        rows = self.conn.execute(
            """SELECT s.*, (SELECT count(*) FROM articles a WHERE a.source = s.name) AS articles
               FROM sources s ORDER BY s.enabled DESC, s.name"""
        )
        return [SourceHealth.from_row(r) for r in rows]

    # ---- fetch log and failures

    def record_fetches(self, source: str | None, records: Iterable[RequestRecord]) -> None:
        rows = [(to_iso(r.at), source, r.url, r.status, r.bytes, r.ms, r.error) for r in records]
        if not rows:
            return
        with self.transaction() as conn:
            conn.executemany(
                "INSERT INTO fetches (at, source, url, status, bytes, ms, error)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                rows,
            )

    def record_failure(
        self, url: str, source: str, error: str, at: datetime, *, final: bool = False
    ) -> None:
        """Remember an article page that failed (``final``: never to be fetched again)."""
        with self.transaction() as conn:
            conn.execute(
                """INSERT INTO failures (url, source, first_at, last_at, attempts, final, error)
                   VALUES (?, ?, ?, ?, 1, ?, ?)
                   ON CONFLICT(url) DO UPDATE SET last_at = excluded.last_at,
                     attempts = attempts + 1, final = max(final, excluded.final),
                     error = excluded.error""",
                (url, source, to_iso(at), to_iso(at), int(final), error),
            )

    def given_up(self, urls: Iterable[str], attempts: int) -> set[str]:
        """The URLs among ``urls`` that failed ``attempts`` times or more, or for good."""
        return self._present(
            "SELECT url FROM failures WHERE (attempts >= ? OR final = 1) AND url IN ({})",
            list(urls),
            (attempts,),
        )

    # ---- articles

    def known_urls(self, urls: Iterable[str]) -> set[str]:
        """The URLs among ``urls`` that are already archived (canonical or alias)."""
        return self._present("SELECT url FROM article_urls WHERE url IN ({})", list(urls))

    def _present(self, sql: str, urls: list[str], params: tuple[Any, ...] = ()) -> set[str]:
        found: set[str] = set()
        for i in range(0, len(urls), 500):
            chunk = urls[i : i + 500]
            query = sql.format(",".join("?" * len(chunk)))
            found.update(r[0] for r in self.conn.execute(query, (*params, *chunk)))
        return found

    def save_article(
        self,
        article: Article,
        *,
        source: str | None,
        fetched_url: str | None = None,
        seen_at: datetime | None = None,
        capture: CaptureRef | None = None,
        link: LinkUpdate | None = None,
        max_distance: int = DEFAULT_MAX_DISTANCE,
        keys: StoryKeys | None = None,
        search: searchindex.Analyzed | None = None,
    ) -> Saved:
        """File one extracted page in one transaction: the article row (new, revised,
        unchanged or an alias), its URLs, its revision and capture pointer, the FTS rows,
        and the listing entry it came from (``link``). See ``store.versions``. ``keys``
        and ``search``: the page's dedup keys and analyzed index text when already
        computed (by an extraction worker), so the transaction does not wait for them."""
        seen_at = seen_at or utcnow()
        row = article_row(article, source=source, fetched_url=fetched_url, seen_at=seen_at)
        if keys is None or keys.url != article.url:
            keys = story_keys(article, fetched_url)
        with self.transaction() as conn:
            saved = save_version(
                conn, row, keys, seen_at=seen_at, capture=capture, max_distance=max_distance
            )
            if saved.outcome in ("new", "revision"):
                given = {saved.article_id: search} if search is not None else None
                searchindex.index_articles(conn, [saved.article_id], given)
            if link is not None:
                remember_link(
                    conn,
                    link.identity,
                    article_id=saved.article_id,
                    source=source or "",
                    url=link.url,
                    lastmod=link.lastmod,
                    seen_at=seen_at,
                    revisit=link.revisit,
                    revisited=link.revisited,
                )
            conn.execute(
                "DELETE FROM failures WHERE url IN (?, ?)", (keys.url, fetched_url or keys.url)
            )
        return saved

    def remember_link(self, link: LinkUpdate, *, source: str, seen_at: datetime) -> None:
        """Move a listing entry's revisit ladder on after a fetch that filed nothing."""
        with self.transaction() as conn:
            remember_link(
                conn,
                link.identity,
                article_id=None,
                source=source,
                url=link.url,
                lastmod=link.lastmod,
                seen_at=seen_at,
                revisit=link.revisit,
                revisited=link.revisited,
            )

    def mark_gone(self, url: str, at: datetime) -> bool:
        """Note that the story at ``url`` was removed from its site (a 404/410 on revisit);
        its text and versions stay. Returns whether an archived story was marked."""
        with self.transaction() as conn:
            cursor = conn.execute(
                "UPDATE articles SET gone_at = coalesce(gone_at, ?) WHERE id ="
                " (SELECT article_id FROM article_urls WHERE url = ?)",
                (to_iso(at), url),
            )
        return cursor.rowcount > 0

    def link_states(self, identities: Iterable[str]) -> dict[str, LinkState]:
        keys = list(dict.fromkeys(identities))
        states: dict[str, LinkState] = {}
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            rows = self.conn.execute(
                f"SELECT * FROM link_keys WHERE identity IN ({','.join('?' * len(chunk))})", chunk
            )
            states.update((r["identity"], link_state(r)) for r in rows)
        return states

    def due_revisits(self, source: str, now: datetime, limit: int) -> list[LinkState]:
        """Listing entries of ``source`` whose next revisit has come, oldest first."""
        rows = self.conn.execute(
            "SELECT * FROM link_keys WHERE source = ? AND next_revisit <= ?"
            " ORDER BY next_revisit LIMIT ?",
            (source, to_iso(now), limit),
        )
        return [link_state(r) for r in rows]

    def last_capture(self, url: str) -> CaptureRef | None:
        """The capture of the latest revision of the article at ``url`` (for revisits)."""
        row = self.conn.execute(
            """SELECT r.warc_file, r.warc_offset, r.warc_length, r.warc_record_id,
                      r.payload_digest
               FROM revisions r JOIN article_urls u ON u.article_id = r.article_id
               WHERE u.url = ? AND r.warc_file IS NOT NULL
               ORDER BY r.number DESC LIMIT 1""",
            (url,),
        ).fetchone()
        if row is None:
            return None
        return CaptureRef(
            file=row[0], offset=row[1], length=row[2], record_id=row[3], payload_digest=row[4]
        )

    def revisions(self, article_id: int) -> list[Revision]:
        """Every version of an article, the first one first."""
        names = [f.name for f in dataclasses.fields(Revision)]
        out = []
        for row in revisions_of(self.conn, article_id):
            values: dict[str, Any] = {n: row.get(n) for n in names}
            out.append(Revision(**{**values, "changed": tuple(row["changed"])}))
        return out

    def article_urls(self, article_id: int) -> list[ArticleURL]:
        """Every URL of an article, oldest first."""
        return [
            ArticleURL(r["url"], r["kind"], r["first_seen"]) for r in urls_of(self.conn, article_id)
        ]

    def capture_roles(self) -> dict[str, tuple[int, bool]]:
        """record id -> (article id, is the article's latest revision), for re-extraction."""
        rows = self.conn.execute(
            """SELECT r.warc_record_id, r.article_id, r.number = a.revision_count
               FROM revisions r JOIN articles a ON a.id = r.article_id
               WHERE r.warc_record_id IS NOT NULL"""
        )
        return {r[0]: (int(r[1]), bool(r[2])) for r in rows}

    def held_languages(self) -> list[str]:
        """The languages the archive's search index holds articles in (``search_languages``)."""
        return [lang for lang in searchindex.languages(self.conn) if lang]

    def add_articles(
        self,
        rows: Iterable[dict[str, Any]],
        *,
        batch: int = 2000,
        search: Mapping[str, searchindex.Analyzed] | None = None,
    ) -> int:
        """Bulk load prepared rows (``article_row``), ``batch`` per transaction; returns count.

        Rows whose URL is already archived are skipped, so a reload never duplicates.
        ``search``: index text analyzed beforehand (in other processes), by the row's URL;
        it is used only for the very text it was computed from, the rest is analyzed here.
        """
        total = 0
        pending: list[dict[str, Any]] = []
        given = search or {}

        def flush() -> int:
            if not pending:
                return 0
            columns = list(pending[0])
            sql = (
                f"INSERT OR IGNORE INTO articles ({', '.join(columns)})"
                f" VALUES ({', '.join('?' * len(columns))})"
            )
            with self.transaction() as conn:
                last = conn.execute("SELECT coalesce(max(id), 0) FROM articles").fetchone()[0]
                cursor = conn.executemany(sql, ([r[c] for c in columns] for r in pending))
                added = max(cursor.rowcount, 0)
                conn.execute("UPDATE articles SET cluster_id = id WHERE id > ?", (last,))
                conn.execute(
                    "INSERT OR IGNORE INTO article_urls (url, article_id, kind, first_seen)"
                    " SELECT url, id, 'canonical', first_seen FROM articles WHERE id > ?",
                    (last,),
                )
                new = conn.execute("SELECT id, url FROM articles WHERE id > ?", (last,)).fetchall()
                precomputed = {r[0]: given[r[1]] for r in new if r[1] in given}
                searchindex.index_articles(conn, [r[0] for r in new], precomputed)
            pending.clear()
            return added

        for row in rows:
            pending.append(row)
            if len(pending) >= batch:
                total += flush()
        total += flush()
        return total

    def get_article(self, key: str | int) -> dict[str, Any]:
        """One article by id or URL, as a dict (authors and tags as lists)."""
        if isinstance(key, int) or (isinstance(key, str) and key.isdigit()):
            row = self.conn.execute("SELECT * FROM articles WHERE id = ?", (int(key),)).fetchone()
        else:
            row = self.conn.execute("SELECT * FROM articles WHERE url = ?", (key,)).fetchone()
        if row is None:
            raise NotFound(f"no article {key!r} in the archive")
        return _decode_row(dict(row))

    def find_article(self, key: str) -> dict[str, Any]:
        """The article a person's link points at: an id, its URL as stored, or any URL of
        the story (canonicalised: tracking parameters, fragment, AMP and default-port
        variants folded; with or without a trailing slash), looked up among all its URLs."""
        key = key.strip()
        if key.isdigit():
            return self.get_article(key)
        canonical = canonical_url(key)
        candidates = [key, canonical]
        parts = urlsplit(canonical)
        if parts.path not in ("", "/"):  # the same page with or without a trailing slash
            path = parts.path[:-1] if parts.path.endswith("/") else parts.path + "/"
            candidates.append(parts._replace(path=path).geturl())
        for url in dict.fromkeys(candidates):
            row = self.conn.execute(
                """SELECT a.* FROM articles a WHERE a.url = ?
                   UNION ALL
                   SELECT a.* FROM article_urls u JOIN articles a ON a.id = u.article_id
                   WHERE u.url = ? LIMIT 1""",
                (url, url),
            ).fetchone()
            if row is not None:
                return _decode_row(dict(row))
        raise NotFound(f"no article {key!r} in the archive")

    def count_articles(self, source: str | None = None) -> int:
        if source is None:
            return int(self.conn.execute("SELECT count(*) FROM articles").fetchone()[0])
        return int(
            self.conn.execute(
                "SELECT count(*) FROM articles WHERE source = ?", (source,)
            ).fetchone()[0]
        )

    # ---- checks

    def integrity_problems(self) -> list[str]:
        """``PRAGMA integrity_check``, the FTS5 integrity check, and one index row per article
        once the search index is built; [] when all pass."""
        index = searchindex.INDEX
        problems = [r[0] for r in self.conn.execute("PRAGMA integrity_check") if r[0] != "ok"]
        try:
            self.conn.execute(f"INSERT INTO {index}({index}, rank) VALUES ('integrity-check', 1)")
        except sqlite3.Error as exc:
            problems.append(f"{index}: {exc}")
            return problems
        if searchindex.pending(self.conn) is None:
            missing = self.conn.execute(
                f"SELECT count(*) FROM articles WHERE id NOT IN (SELECT rowid FROM {index})"
            ).fetchone()[0]
            extra = self.conn.execute(
                f"SELECT count(*) FROM {index} WHERE rowid NOT IN (SELECT id FROM articles)"
            ).fetchone()[0]
            if missing or extra:
                problems.append(f"{index}: {missing} articles not indexed, {extra} stray rows")
        return problems
