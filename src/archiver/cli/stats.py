"""``archiver stats``: how the archive grows: articles per source and per day, sizes, last
success per source. Read-only queries on the archive; sizes from the files themselves."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from archiver.logs import escape
from archiver.timeutil import to_iso

DAYS = 14


def _size(path: Path) -> int:
    return path.stat().st_size if path.is_file() else 0


def _captures(root: Path, since: datetime) -> tuple[int, int, int]:
    """(files, bytes, bytes in files changed since ``since``) under the captures folder."""
    files = total = recent = 0
    if root.is_dir():
        for file in root.rglob("*.warc.gz"):
            st = file.stat()
            files += 1
            total += st.st_size
            if st.st_mtime >= since.timestamp():
                recent += st.st_size
    return files, total, recent


def collect(
    conn: sqlite3.Connection, db_path: Path, captures: Path, now: datetime, days: int = DAYS
) -> dict[str, Any]:
    """Everything ``archiver stats`` shows, as one JSON-ready record."""
    day_ago, week_ago = to_iso(now - timedelta(days=1)), to_iso(now - timedelta(days=7))
    start = to_iso((now - timedelta(days=days - 1)).replace(hour=0, minute=0, second=0))
    total = int(conn.execute("SELECT count(*) FROM articles").fetchone()[0])
    week = int(
        conn.execute("SELECT count(*) FROM articles WHERE first_seen >= ?", (week_ago,)).fetchone()[
            0
        ]
    )
    sources: dict[str, dict[str, Any]] = {}
    for name, last_polled, outcome in conn.execute(
        "SELECT name, last_polled, last_outcome FROM sources ORDER BY name"
    ):
        sources[name] = {
            "name": name,
            "articles": 0,
            "last_24h": 0,
            "last_7d": 0,
            "last_poll": last_polled,
            "last_outcome": outcome,
            "last_success": None,
        }
    for name, count, d1, d7 in conn.execute(
        """SELECT source, count(*), sum(first_seen >= ?), sum(first_seen >= ?)
           FROM articles GROUP BY source""",
        (day_ago, week_ago),
    ):
        row = sources.setdefault(
            name or "-", {"name": name or "-", "last_poll": None, "last_outcome": None}
        )
        row.update(articles=count, last_24h=d1 or 0, last_7d=d7 or 0)
        row.setdefault("last_success", None)
    for name, at in conn.execute(
        """SELECT s.name, (SELECT max(f.at) FROM fetches f
                           WHERE f.source = s.name AND f.url = s.url AND f.status IN (200, 304))
           FROM sources s"""
    ):
        if name in sources:
            sources[name]["last_success"] = at
    per_day = [
        {"day": day, "articles": count}
        for day, count in conn.execute(
            """SELECT substr(first_seen, 1, 10) AS day, count(*) FROM articles
               WHERE first_seen >= ? GROUP BY day ORDER BY day""",
            (start,),
        )
    ]
    db_bytes = _size(db_path) + _size(Path(f"{db_path}-wal"))
    files, capture_bytes, capture_recent = _captures(captures, now - timedelta(days=7))
    return {
        "articles": total,
        "articles_last_7d": week,
        "database_bytes": db_bytes,
        # an estimate: the database's size times the share of its articles first seen this week
        "database_growth_7d_bytes": round(db_bytes * week / total) if total else 0,
        "capture_files": files,
        "capture_bytes": capture_bytes,
        "capture_bytes_written_7d": capture_recent,
        "sources": list(sources.values()),
        "per_day": per_day,
    }


def human(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if abs(n) < 1024:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TB"


def stats_text(record: dict[str, Any], table: Any) -> str:
    """The record as text; ``table`` renders rows (``render.plain_table``)."""
    lines = [
        f"articles   {record['articles']:,} ({record['articles_last_7d']:,} in the last 7 days)",
        f"database   {human(record['database_bytes'])}"
        f" (about +{human(record['database_growth_7d_bytes'])} a week)",
        f"captures   {human(record['capture_bytes'])} in {record['capture_files']} files"
        f" ({human(record['capture_bytes_written_7d'])} in files written in the last 7 days)",
        "",
    ]
    rows = [["source", "articles", "24h", "7d", "last success", "last poll"]]
    for s in record["sources"]:
        rows.append(
            [
                escape(s["name"]),
                str(s.get("articles", 0)),
                str(s.get("last_24h", 0)),
                str(s.get("last_7d", 0)),
                (s.get("last_success") or "never")[:19],
                f"{(s.get('last_poll') or '-')[:19]} {s.get('last_outcome') or ''}".rstrip(),
            ]
        )
    lines.append(table(rows))
    if record["per_day"]:
        lines += ["", "articles per day (first seen)"]
        peak = max(d["articles"] for d in record["per_day"]) or 1
        for d in record["per_day"]:
            bar = "#" * max(1, round(40 * d["articles"] / peak))
            lines.append(f"{d['day']}  {d['articles']:>6}  {bar}")
    return "\n".join(lines)
