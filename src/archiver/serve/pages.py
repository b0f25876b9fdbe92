"""What the reading room's pages show, read from the archive: an article, a search, the sources.

Plain functions over the archive's path (a read-only connection each, run in a thread by
the plugin); they return dictionaries the templates render. The ranked search is
``archiver.search.search``, the one `archiver search` uses, so its analyzer and query
language are the reading room's too.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from archiver.capture.reader import read_capture
from archiver.capture.warcfile import CapturedResponse, safe_path
from archiver.cli.render import health_records
from archiver.errors import StoreError
from archiver.extract.decode import decode_html
from archiver.fetch.headers import charset as header_charset
from archiver.models import CaptureRef, SourceHealth
from archiver.search import count, parse_when, search
from archiver.serve.reading import (
    changed,
    diff_html,
    highlighted,
    json_list,
    paragraphs,
    readable_time,
)
from archiver.store.readonly import connect_readonly
from archiver.store.versions import revisions_of, urls_of

DIFF_FIELDS = ("title", "lead", "body")
PAGE_SIZE = 20
MAX_PAGE = 50  # a search page deeper than this is a crawler, not a reader
CLUSTER_LIMIT = 50


def _rows(conn: sqlite3.Connection, sql: str, params: tuple[object, ...]) -> list[dict[str, Any]]:
    cur = conn.cursor()
    cur.row_factory = sqlite3.Row
    return [dict(r) for r in cur.execute(sql, params)]


def _has_table(conn: sqlite3.Connection, name: str) -> bool:
    sql = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
    return conn.execute(sql, (name,)).fetchone() is not None


# ---------------------------------------------------------------- an article


def article_page(db_path: Path, article_id: int) -> dict[str, Any] | None:
    """Everything the article page shows, or None when there is no such article."""
    with connect_readonly(db_path) as conn:
        conn.row_factory = sqlite3.Row
        found = _rows(conn, "SELECT * FROM articles WHERE id = ?", (article_id,))
        if not found:
            return None
        row = found[0]
        versions = _has_table(conn, "revisions")
        revisions = revisions_of(conn, article_id) if versions else []
        urls = urls_of(conn, article_id) if versions else []
        cluster: list[dict[str, Any]] = []
        if row.get("cluster_id") is not None:
            cluster = _rows(
                conn,
                "SELECT id, title, source, agency, published, url FROM articles"
                " WHERE cluster_id = ? AND id != ? ORDER BY published, id LIMIT ?",
                (row["cluster_id"], article_id, CLUSTER_LIMIT),
            )
    return {
        "article": row,
        "paragraphs": paragraphs(row.get("body")),
        "authors": json_list(row.get("authors")),
        "tags": json_list(row.get("tags")),
        "aliases": [u for u in urls if u["url"] != row["url"]],
        "revisions": _revision_steps(revisions),
        "cluster": cluster,
    }


def _revision_steps(revisions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each version with what changed since the one before, as a word diff per field."""
    steps = []
    previous: dict[str, Any] | None = None
    for rev in revisions:
        fields = changed(previous, rev, DIFF_FIELDS) if previous else []
        steps.append(
            {
                **rev,
                "changed_fields": fields or rev.get("changed") or [],
                "diffs": [
                    {"field": f, "html": diff_html(previous.get(f), rev.get(f))}
                    for f in fields
                    if previous is not None
                ],
            }
        )
        previous = rev
    return steps


# ---------------------------------------------------------------- the search


@dataclass(frozen=True, slots=True)
class SearchForm:
    """What the search page was asked: the box, the sort, the filters, the page."""

    q: str = ""
    sort: str = "relevance"
    source: str = ""
    lang: str = ""
    since: str = ""
    until: str = ""
    page: int = 1

    @classmethod
    def from_args(cls, args: Any) -> SearchForm:
        """From a request's query string (``q`` or Datasette's ``_search``)."""
        try:
            page = int(args.get("page") or 1)
        except ValueError:
            page = 1
        return cls(
            q=(args.get("q") or args.get("_search") or "").strip(),
            sort="newest" if args.get("sort") == "newest" else "relevance",
            source=(args.get("source") or "").strip(),
            lang=(args.get("lang") or args.get("language") or "").strip(),
            since=(args.get("since") or "").strip(),
            until=(args.get("until") or "").strip(),
            page=min(max(page, 1), MAX_PAGE),
        )

    def args(self, **changes: object) -> dict[str, str]:
        """This form's non-empty fields as query-string arguments, with ``changes``."""
        values: dict[str, object] = {
            "q": self.q,
            "sort": self.sort if self.sort != "relevance" else "",
            "source": self.source,
            "lang": self.lang,
            "since": self.since,
            "until": self.until,
            "page": self.page if self.page != 1 else "",
            **changes,
        }
        return {k: str(v) for k, v in values.items() if v not in ("", None) or k == "q"}


def search_page(db_path: Path, form: SearchForm, now: datetime) -> dict[str, Any]:
    """The hits of one page, the number of matches per source, and whether more follow.

    Raises ``QueryError`` (a friendly message) for a date it cannot read.
    """
    since = parse_when(form.since, now) if form.since else None
    until = parse_when(form.until, now, end=True) if form.until else None
    filters: dict[str, Any] = {
        "source": (form.source,) if form.source else (),
        "since": since,
        "until": until,
        "lang": form.lang or None,
    }
    if not form.q:
        return {"hits": [], "total": 0, "per_source": [], "more": False}
    wanted = form.page * PAGE_SIZE
    hits = search(db_path, form.q, limit=wanted + 1, sort=form.sort, **filters)
    per_source = count(db_path, form.q, **filters)
    shown = hits[wanted - PAGE_SIZE : wanted]
    return {
        "hits": [
            {
                "id": h.id,
                "url": h.url,
                "source": h.source,
                "title": h.title or h.url,
                "published": h.published.isoformat() if h.published else None,
                "published_text": readable_time(h.published.isoformat()) if h.published else "",
                "language": h.language,
                "snippet": highlighted(h.snippet),
                "snippet_text": h.snippet,
            }
            for h in shown
        ],
        "total": sum(n for _, n in per_source),
        "per_source": per_source,
        "more": len(hits) > wanted,
    }


def languages_and_sources(db_path: Path) -> tuple[list[str], list[str]]:
    """The sources and languages present, for the search form's choices."""
    with connect_readonly(db_path) as conn:
        sources = [
            r[0]
            for r in conn.execute(
                "SELECT DISTINCT source FROM articles WHERE source IS NOT NULL ORDER BY source"
            )
        ]
        langs = [
            r[0]
            for r in conn.execute(
                "SELECT DISTINCT language FROM articles WHERE language IS NOT NULL"
                " ORDER BY language"
            )
        ]
    return sources, langs


# ---------------------------------------------------------------- the sources


def sources_page(db_path: Path, now: datetime) -> list[dict[str, Any]]:
    """Each source's health as `archiver sources` reports it."""
    with connect_readonly(db_path) as conn:
        if not _has_table(conn, "sources"):
            return []
        rows = _rows(
            conn,
            "SELECT s.*, (SELECT count(*) FROM articles a WHERE a.source = s.name) AS articles"
            " FROM sources s ORDER BY s.enabled DESC, s.name",
            (),
        )
        log = _has_table(conn, "fetches")
        last_ok = {row["name"]: _last_success(conn, row["name"]) if log else None for row in rows}
    records = health_records([SourceHealth.from_row(r) for r in rows], now)
    for record in records:
        record["last_success"] = last_ok.get(record["name"])
        record["last_success_text"] = readable_time(record["last_success"]) or "never"
        record["last_polled_text"] = readable_time(record["last_polled"]) or "never"
        record["next_check_text"] = readable_time(record["next_check"]) or "-"
    return records


def _last_success(conn: sqlite3.Connection, source: str) -> str | None:
    """When a request for this source last worked (2xx or 304), from the fetch log."""
    row = conn.execute(
        "SELECT at FROM fetches WHERE source = ? AND error IS NULL"
        " AND (status BETWEEN 200 AND 299 OR status = 304) ORDER BY at DESC LIMIT 1",
        (source,),
    ).fetchone()
    return str(row[0]) if row else None


# ---------------------------------------------------------------- a capture record


@dataclass(frozen=True, slots=True)
class Capture:
    """One version's capture: where it lies, the record's bytes, and the response in it."""

    revision: dict[str, Any]
    ref: CaptureRef
    member: bytes  # the record's gzip member, as in the WARC file
    response: CapturedResponse


def capture_of(db_path: Path, captures: Path, revision_id: int) -> Capture | None:
    """The capture record of one revision, or None when the version has none.

    Raises ``StoreError`` when the record cannot be read (missing file, damaged record).
    """
    with connect_readonly(db_path) as conn:
        if not _has_table(conn, "revisions"):
            return None
        found = _rows(conn, "SELECT * FROM revisions WHERE id = ?", (revision_id,))
    if not found or not found[0].get("warc_file"):
        return None
    row = found[0]
    ref = CaptureRef(
        file=row["warc_file"],
        offset=int(row["warc_offset"]),
        length=int(row["warc_length"]),
        record_id=row["warc_record_id"] or "",
        payload_digest=row["payload_digest"] or "",
    )
    path = safe_path(captures, ref.file)
    try:
        with open(path, "rb") as handle:
            handle.seek(ref.offset)
            member = handle.read(ref.length)
    except OSError as exc:
        raise StoreError(f"cannot read capture {ref.file}@{ref.offset}: {exc.strerror}") from exc
    return Capture(row, ref, member, read_capture(captures, ref))


def capture_text(capture: Capture) -> str:
    """A capture as plain text: where it lies, the HTTP status and headers, then the body
    decoded the way the extractor decodes it."""
    response = capture.response
    text, charset = decode_html(response.body, _charset(response))
    lines = [
        f"WARC record {capture.ref.record_id}",
        f"file {capture.ref.file} offset {capture.ref.offset} length {capture.ref.length}",
        f"URL {response.url}",
        f"fetched {response.fetched_at.isoformat()}"
        + (f" by source {response.source}" if response.source else ""),
        f"decoded as {charset or 'unknown'}",
        "",
        f"HTTP {response.status}",
        *(f"{name}: {value}" for name, value in response.headers),
        "",
        text,
    ]
    return "\n".join(lines)


def _charset(response: CapturedResponse) -> str | None:
    content_type = next((v for k, v in response.headers if k.lower() == "content-type"), None)
    return header_charset(content_type)
