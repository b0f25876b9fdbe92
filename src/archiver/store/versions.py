"""One story, one entry, every version: the SQL that files an extracted page.

``save_version`` runs inside the caller's ``BEGIN IMMEDIATE`` transaction, so the article
row, its URLs, its revision, its FTS rows (triggers) and its capture pointer commit together
or not at all. What happens to a page, in this order:

1. its URL (canonical or as fetched) is already an article's: a re-fetch. If the text
   changed in substance (``dedup.substantive_change``) a revision is added and the article
   row shows the latest; otherwise only ``last_seen`` moves.
2. another article has the same content hash: the URL becomes an alias of that article.
3. otherwise a new article; a near-duplicate (SimHash within ``max_distance`` bits, found
   through the four band indexes) puts it in that article's story cluster.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from archiver.capture import CaptureRef
from archiver.dedup import (
    DEFAULT_MAX_DISTANCE,
    band_probes,
    bands,
    canonical_url,
    content_hash,
    hamming,
    simhash,
    substantive_change,
    to_signed64,
)
from archiver.models import Article
from archiver.timeutil import from_iso, to_iso

REVISION_FIELDS = ("title", "lead", "body", "published", "updated")


@dataclass(frozen=True, slots=True)
class Saved:
    """What filing a page did: ``new`` | ``revision`` | ``unchanged`` | ``alias``."""

    article_id: int
    outcome: str
    changed: tuple[str, ...] = ()
    cluster_id: int | None = None


@dataclass(frozen=True, slots=True)
class LinkState:
    """What the archive knows of a listing entry's identity (``dedup.link_identity``)."""

    identity: str
    article_id: int | None
    url: str | None
    lastmod: datetime | None
    next_revisit: datetime | None
    revisits: int


def article_id_for(conn: sqlite3.Connection, urls: Sequence[str]) -> int | None:
    """The article that any of ``urls`` belongs to (its canonical URL or an alias)."""
    for url in urls:
        row = conn.execute("SELECT article_id FROM article_urls WHERE url = ?", (url,)).fetchone()
        if row is not None:
            return int(row[0])
    return None


def save_version(
    conn: sqlite3.Connection, row: dict[str, Any], article: Article, *,
    fetched_url: str | None, seen_at: datetime, capture: CaptureRef | None,
    max_distance: int = DEFAULT_MAX_DISTANCE,
) -> Saved:
    """File one extracted page (``row`` is its ``article_row``); see the module docstring."""
    digest = content_hash(article.title, article.lead, article.body)
    sh = simhash(article.text)
    row = {**row, "content_hash": digest, "simhash": to_signed64(sh),
           **{f"sh{i}": b for i, b in enumerate(bands(sh))}}
    fetched_key = canonical_url(fetched_url) if fetched_url else None
    urls = [u for u in dict.fromkeys((article.url, fetched_key)) if u]
    existing = article_id_for(conn, urls)
    if existing is None:
        found = conn.execute("SELECT id FROM articles WHERE url = ?", (article.url,)).fetchone()
        existing = int(found[0]) if found else None
    if existing is not None:
        saved = _refetch(conn, existing, row, digest, seen_at, capture)
    else:
        same = conn.execute("SELECT id FROM articles WHERE content_hash = ? LIMIT 1",
                            (digest,)).fetchone()
        if same is not None:
            conn.execute("UPDATE articles SET last_seen = ? WHERE id = ?",
                         (to_iso(seen_at), same[0]))
            saved = Saved(int(same[0]), "alias")
        else:
            saved = _insert(conn, row, sh, seen_at, capture, max_distance)
    for kind, url in (("canonical", article.url), ("fetched", fetched_key)):
        if url:
            conn.execute("INSERT OR IGNORE INTO article_urls VALUES (?, ?, ?, ?)",
                         (url, saved.article_id, "alias" if saved.outcome == "alias" else kind,
                          to_iso(seen_at)))
    return saved


def _insert(conn: sqlite3.Connection, row: dict[str, Any], sh: int, seen_at: datetime,
            capture: CaptureRef | None, max_distance: int) -> Saved:
    cluster = _near_cluster(conn, sh, max_distance)
    row = {**row, "cluster_id": cluster, "revision_count": 1}
    columns = ", ".join(row)
    cursor = conn.execute(f"INSERT INTO articles ({columns}) VALUES ({', '.join('?' * len(row))})",
                          list(row.values()))
    article_id = int(cursor.lastrowid or 0)
    if cluster is None:
        cluster = article_id
        conn.execute("UPDATE articles SET cluster_id = ? WHERE id = ?", (article_id, article_id))
    _add_revision(conn, article_id, 1, row, (), seen_at, capture)
    return Saved(article_id, "new", cluster_id=cluster)


def _near_cluster(conn: sqlite3.Connection, sh: int, max_distance: int) -> int | None:
    """The story cluster of the nearest archived article within ``max_distance`` bits."""
    if sh == 0:
        return None
    probes = band_probes(sh, max_distance)
    where = " OR ".join(f"sh{i} IN ({', '.join('?' * len(p))})" for i, p in enumerate(probes))
    params = [v for p in probes for v in p]
    best: tuple[int, int] | None = None
    for cluster_id, other in conn.execute(
        f"SELECT cluster_id, simhash FROM articles WHERE {where}", params
    ):
        if other is None:
            continue
        distance = hamming(sh, other)
        if distance <= max_distance and (best is None or distance < best[0]):
            best = (distance, int(cluster_id))
    return best[1] if best else None


def _refetch(conn: sqlite3.Connection, article_id: int, row: dict[str, Any], digest: str,
             seen_at: datetime, capture: CaptureRef | None) -> Saved:
    current = conn.execute(
        "SELECT title, lead, body, content_hash, revision_count, cluster_id FROM articles"
        " WHERE id = ?", (article_id,)).fetchone()
    changed = () if current[3] == digest else substantive_change(
        (current[0], current[1], current[2]), (row["title"], row["lead"], row["body"]))
    if not changed:
        conn.execute("UPDATE articles SET last_seen = ?, gone_at = NULL WHERE id = ?",
                     (to_iso(seen_at), article_id))
        return Saved(article_id, "unchanged", cluster_id=current[5])
    number = int(current[4] or 1) + 1
    keep = {"url", "source", "first_seen", "cluster_id", "revision_count"}
    updates = {k: v for k, v in row.items() if k not in keep}
    updates["revision_count"] = number
    updates["gone_at"] = None
    sets = ", ".join(f"{k} = ?" for k in updates)
    conn.execute(f"UPDATE articles SET {sets} WHERE id = ?", [*updates.values(), article_id])
    _add_revision(conn, article_id, number, row, changed, seen_at, capture)
    return Saved(article_id, "revision", changed, cluster_id=current[5])


def _add_revision(conn: sqlite3.Connection, article_id: int, number: int, row: dict[str, Any],
                  changed: tuple[str, ...], seen_at: datetime, capture: CaptureRef | None) -> None:
    conn.execute(
        "INSERT INTO revisions (article_id, number, seen_at, content_hash, changed, title, lead,"
        " body, published, updated, fetched_url, warc_file, warc_offset, warc_length,"
        " warc_record_id, payload_digest) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (article_id, number, to_iso(seen_at), row["content_hash"], ",".join(changed),
         *(row[f] for f in REVISION_FIELDS), row.get("fetched_url"),
         capture.file if capture else None, capture.offset if capture else None,
         capture.length if capture else None, capture.record_id if capture else None,
         capture.payload_digest if capture else None),
    )


# ------------------------------------------------------------------ link keys


def link_state(row: sqlite3.Row) -> LinkState:
    return LinkState(identity=row["identity"], article_id=row["article_id"], url=row["url"],
                     lastmod=from_iso(row["lastmod"]), next_revisit=from_iso(row["next_revisit"]),
                     revisits=row["revisits"] or 0)


def next_revisit(first_seen: datetime, done: int,
                 ladder: Sequence[timedelta]) -> datetime | None:
    """When the ``done``-th revisit is due: ``first_seen`` + the ladder's next step."""
    return first_seen + ladder[done] if done < len(ladder) else None


def remember_link(
    conn: sqlite3.Connection, identity: str, *, article_id: int | None, source: str,
    url: str, lastmod: datetime | None, seen_at: datetime, revisit: Sequence[timedelta],
    revisited: bool,
) -> None:
    """Record that ``identity`` was fetched now; move its revisit ladder one step on when
    this fetch was a revisit."""
    row = conn.execute("SELECT first_seen, revisits, lastmod FROM link_keys WHERE identity = ?",
                       (identity,)).fetchone()
    first_seen = (from_iso(row[0]) if row else None) or seen_at
    done = (row[1] or 0) + int(revisited) if row else 0
    lastmod_text = to_iso(lastmod) or (row[2] if row else None)
    conn.execute(
        """INSERT INTO link_keys (identity, article_id, source, url, lastmod, first_seen,
                                  last_fetched, revisits, next_revisit)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT(identity) DO UPDATE SET
             article_id = coalesce(excluded.article_id, article_id), url = excluded.url,
             lastmod = excluded.lastmod, last_fetched = excluded.last_fetched,
             revisits = excluded.revisits, next_revisit = excluded.next_revisit""",
        (identity, article_id, source, url, lastmod_text, to_iso(first_seen),
         to_iso(seen_at), done, to_iso(next_revisit(first_seen, done, revisit))),
    )


def revisions_of(conn: sqlite3.Connection, article_id: int) -> list[dict[str, Any]]:
    rows = conn.execute("SELECT * FROM revisions WHERE article_id = ? ORDER BY number",
                        (article_id,))
    out = []
    for r in rows:
        record = dict(r)
        record["changed"] = [c for c in (record.get("changed") or "").split(",") if c]
        out.append(record)
    return out


def urls_of(conn: sqlite3.Connection, article_id: int) -> list[dict[str, Any]]:
    rows = conn.execute("SELECT url, kind, first_seen FROM article_urls WHERE article_id = ?"
                        " ORDER BY first_seen, url", (article_id,))
    return [dict(r) for r in rows]
