"""Filing an extracted page: load the candidates its keys point at, apply the pure decision.

``save_version`` runs inside the caller's ``BEGIN IMMEDIATE`` transaction, so the article
row, its URLs, its revision, its FTS rows (triggers) and its capture pointer commit together
or not at all. What to do is decided by ``archiver.dedup.filing.decide``; this module only
reads what the decision needs and writes what it says.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from archiver.dedup import DEFAULT_MAX_DISTANCE, from_signed64, to_signed64
from archiver.dedup.filing import Candidates, Decision, Existing, FilingOutcome, StoryKeys, decide
from archiver.models import CaptureRef
from archiver.timeutil import from_iso, to_iso

REVISION_FIELDS = ("title", "lead", "body", "published", "updated")


@dataclass(frozen=True, slots=True)
class Saved:
    """What filing a page did."""

    article_id: int
    outcome: FilingOutcome
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


def load_candidates(
    conn: sqlite3.Connection, keys: StoryKeys, max_distance: int = DEFAULT_MAX_DISTANCE
) -> Candidates:
    """What ``decide`` needs for ``keys``, loaded in its order of precedence: the owner of
    one of its URLs, else an article with the same text, else the near-duplicates."""
    owner_id = article_id_for(conn, keys.urls)
    if owner_id is None:
        found = conn.execute("SELECT id FROM articles WHERE url = ?", (keys.url,)).fetchone()
        owner_id = int(found[0]) if found else None
    if owner_id is not None:
        r = conn.execute(
            "SELECT title, lead, body, content_hash, revision_count, cluster_id FROM articles"
            " WHERE id = ?",
            (owner_id,),
        ).fetchone()
        return Candidates(
            owner=Existing(
                owner_id,
                r[3],
                (r[0], r[1], r[2]),
                int(r[4] or 1),
                None if r[5] is None else int(r[5]),
            )
        )
    same = conn.execute(
        "SELECT id FROM articles WHERE content_hash = ? LIMIT 1", (keys.content_hash,)
    ).fetchone()
    if same is not None:
        return Candidates(same_text=int(same[0]))
    if keys.simhash == 0:
        return Candidates()
    probes = keys.probes(max_distance)
    where = " OR ".join(f"sh{i} IN ({', '.join('?' * len(p))})" for i, p in enumerate(probes))
    rows = conn.execute(
        f"SELECT cluster_id, simhash FROM articles WHERE {where}", [v for p in probes for v in p]
    )
    return Candidates(
        near=tuple((int(c), from_signed64(s)) for c, s in rows if c is not None and s is not None)
    )


def save_version(
    conn: sqlite3.Connection,
    row: dict[str, Any],
    keys: StoryKeys,
    *,
    seen_at: datetime,
    capture: CaptureRef | None,
    max_distance: int = DEFAULT_MAX_DISTANCE,
) -> Saved:
    """File one extracted page (``row`` is its ``article_row``) as ``decide`` says."""
    row = {
        **row,
        "content_hash": keys.content_hash,
        "simhash": to_signed64(keys.simhash),
        **{f"sh{i}": b for i, b in enumerate(keys.bands)},
    }
    decision = decide(keys, load_candidates(conn, keys, max_distance), max_distance=max_distance)
    saved = _apply(conn, decision, row, seen_at, capture)
    for kind, url in (("canonical", keys.url), ("fetched", keys.fetched_key)):
        if url:
            conn.execute(
                "INSERT OR IGNORE INTO article_urls VALUES (?, ?, ?, ?)",
                (
                    url,
                    saved.article_id,
                    "alias" if saved.outcome == "alias" else kind,
                    to_iso(seen_at),
                ),
            )
    return saved


def _apply(
    conn: sqlite3.Connection,
    d: Decision,
    row: dict[str, Any],
    seen_at: datetime,
    capture: CaptureRef | None,
) -> Saved:
    if d.article_id is None:
        return _insert(conn, row, d.cluster_id, seen_at, capture)
    if d.outcome in ("unchanged", "alias"):
        gone = ", gone_at = NULL" if d.outcome == "unchanged" else ""
        conn.execute(
            f"UPDATE articles SET last_seen = ?{gone} WHERE id = ?", (to_iso(seen_at), d.article_id)
        )
        return Saved(d.article_id, d.outcome, cluster_id=d.cluster_id)
    keep = {"url", "source", "first_seen", "cluster_id", "revision_count"}
    updates = {k: v for k, v in row.items() if k not in keep}
    updates["revision_count"] = d.revision
    updates["gone_at"] = None
    sets = ", ".join(f"{k} = ?" for k in updates)
    conn.execute(f"UPDATE articles SET {sets} WHERE id = ?", [*updates.values(), d.article_id])
    _add_revision(conn, d.article_id, d.revision, row, d.changed, seen_at, capture)
    return Saved(d.article_id, "revision", d.changed, cluster_id=d.cluster_id)


def _insert(
    conn: sqlite3.Connection,
    row: dict[str, Any],
    cluster: int | None,
    seen_at: datetime,
    capture: CaptureRef | None,
) -> Saved:
    row = {**row, "cluster_id": cluster, "revision_count": 1}
    columns = ", ".join(row)
    cursor = conn.execute(
        f"INSERT INTO articles ({columns}) VALUES ({', '.join('?' * len(row))})", list(row.values())
    )
    article_id = int(cursor.lastrowid or 0)
    if cluster is None:
        cluster = article_id
        conn.execute("UPDATE articles SET cluster_id = ? WHERE id = ?", (article_id, article_id))
    _add_revision(conn, article_id, 1, row, (), seen_at, capture)
    return Saved(article_id, "new", cluster_id=cluster)


def _add_revision(
    conn: sqlite3.Connection,
    article_id: int,
    number: int,
    row: dict[str, Any],
    changed: tuple[str, ...],
    seen_at: datetime,
    capture: CaptureRef | None,
) -> None:
    conn.execute(
        "INSERT INTO revisions (article_id, number, seen_at, content_hash, changed, title, lead,"
        " body, published, updated, fetched_url, warc_file, warc_offset, warc_length,"
        " warc_record_id, payload_digest) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            article_id,
            number,
            to_iso(seen_at),
            row["content_hash"],
            ",".join(changed),
            *(row[f] for f in REVISION_FIELDS),
            row.get("fetched_url"),
            capture.file if capture else None,
            capture.offset if capture else None,
            capture.length if capture else None,
            capture.record_id if capture else None,
            capture.payload_digest if capture else None,
        ),
    )


# ------------------------------------------------------------------ link keys


def link_state(row: sqlite3.Row) -> LinkState:
    return LinkState(
        identity=row["identity"],
        article_id=row["article_id"],
        url=row["url"],
        lastmod=from_iso(row["lastmod"]),
        next_revisit=from_iso(row["next_revisit"]),
        revisits=row["revisits"] or 0,
    )


def next_revisit(first_seen: datetime, done: int, ladder: Sequence[timedelta]) -> datetime | None:
    """When the ``done``-th revisit is due: ``first_seen`` + the ladder's next step."""
    return first_seen + ladder[done] if done < len(ladder) else None


def remember_link(
    conn: sqlite3.Connection,
    identity: str,
    *,
    article_id: int | None,
    source: str,
    url: str,
    lastmod: datetime | None,
    seen_at: datetime,
    revisit: Sequence[timedelta],
    revisited: bool,
) -> None:
    """Record that ``identity`` was fetched now; move its revisit ladder one step on when
    this fetch was a revisit."""
    row = conn.execute(
        "SELECT first_seen, revisits, lastmod FROM link_keys WHERE identity = ?", (identity,)
    ).fetchone()
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
        (
            identity,
            article_id,
            source,
            url,
            lastmod_text,
            to_iso(first_seen),
            to_iso(seen_at),
            done,
            to_iso(next_revisit(first_seen, done, revisit)),
        ),
    )


def revisions_of(conn: sqlite3.Connection, article_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT * FROM revisions WHERE article_id = ? ORDER BY number", (article_id,)
    )
    out = []
    for r in rows:
        record = dict(r)
        record["changed"] = [c for c in (record.get("changed") or "").split(",") if c]
        out.append(record)
    return out


def urls_of(conn: sqlite3.Connection, article_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT url, kind, first_seen FROM article_urls WHERE article_id = ?"
        " ORDER BY first_seen, url",
        (article_id,),
    )
    return [dict(r) for r in rows]
