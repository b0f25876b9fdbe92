"""Turning results into what the CLI prints: tables, readable text, JSON, CSV.

Everything that came from the web goes through ``logs.escape`` before it reaches a terminal
(table cells in its one-line form).
"""

from __future__ import annotations

import dataclasses
import json
import textwrap
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from archiver.logs import escape, safe_json
from archiver.models import Article, PollReport, SourceHealth
from archiver.poll.health import source_status
from archiver.timeutil import from_iso


def health_records(rows: Sequence[SourceHealth], now: datetime) -> list[dict[str, Any]]:
    """Each source's health as the stable JSON records of ``archiver sources``."""
    return [
        {
            "name": h.name,
            "kind": h.kind,
            "url": h.url,
            "status": source_status(h, now),
            "last_polled": h.last_polled,
            "next_check": h.next_check,
            "error_count": h.error_count,
            "last_error": h.last_error,
            "articles": h.articles,
            "polls": h.polls,
            "not_modified_share": round(h.not_modified / h.polls, 3) if h.polls else None,
        }
        for h in rows
    ]


def _short_time(text: str | None, now: datetime) -> str:
    when = from_iso(text)
    if when is None:
        return "-"
    delta = (when - now).total_seconds()
    word = "in " if delta > 0 else ""
    ago = "" if delta > 0 else " ago"
    delta = abs(delta)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if delta >= size:
            return f"{word}{int(delta // size)}{unit}{ago}"
    return f"{word}{int(delta)}s{ago}"


def sources_table(records: Sequence[dict[str, Any]], now: datetime) -> list[list[str]]:
    held = any(r.get("polled_by") for r in records)
    rows = [
        ["name", "kind", "status", "polled", "next", "errors", "articles", "304s"]
        + (["polled by"] if held else [])
        + ["last error"]
    ]
    for r in records:
        share = r["not_modified_share"]
        rows.append(
            [
                escape(r["name"], oneline=True),
                r["kind"],
                r["status"],
                _short_time(r["last_polled"], now),
                _short_time(r["next_check"], now),
                str(r["error_count"]),
                str(r["articles"]),
                "-" if share is None else f"{share:.0%}",
                *([escape(r.get("polled_by") or "-", oneline=True)] if held else []),
                escape(r["last_error"], oneline=True)[:80],
            ]
        )
    return rows


def plain_table(rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    return "\n".join(lines)


def _json_default(value: object) -> object:
    if isinstance(value, datetime):
        return value.isoformat()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)  # the read side's values, as their fields
    raise TypeError(type(value).__name__)


def to_json(value: object) -> str:
    return safe_json(json.dumps(value, ensure_ascii=False, indent=2, default=_json_default))


def article_record(article: Article) -> dict[str, Any]:
    """Every field of an extracted Article, JSON-ready."""
    record = dataclasses.asdict(article)
    record["word_count"] = article.word_count
    return record


def article_text(record: dict[str, Any]) -> str:
    """An article (a record from the store or from ``article_record``) as readable text."""
    dateline = record.get("dateline")
    if isinstance(dateline, dict):
        dateline = " / ".join(
            str(dateline.get(k)) for k in ("place", "date", "agency") if dateline.get(k)
        )
    else:
        dateline = " / ".join(
            str(record[k])
            for k in ("dateline_place", "dateline_date", "dateline_agency")
            if record.get(k)
        )
    head = [
        ("title", record.get("title")),
        ("url", record.get("url")),
        ("source", record.get("source")),
        ("agency", record.get("agency")),
        ("site", record.get("site_name")),
        ("published", _when(record.get("published"), record.get("published_from"))),
        ("updated", _when(record.get("updated"), record.get("updated_from"))),
        ("authors", ", ".join(record.get("authors") or [])),
        ("tags", ", ".join(record.get("tags") or [])),
        ("section", record.get("section")),
        ("language", record.get("language")),
        ("dateline", dateline),
        ("canonical", record.get("canonical_url")),
        ("extractor", record.get("extractor")),
        ("page kind", record.get("page_kind")),
        ("words", record.get("word_count")),
        ("paywalled", "yes" if record.get("paywalled") else None),
        ("first seen", record.get("first_seen")),
        ("last seen", record.get("last_seen")),
        ("gone since", record.get("gone_at")),
    ]
    lines = [f"{k:<10} {escape(v)}" for k, v in head if v not in (None, "", [])]
    for name in ("lead", "body"):
        if record.get(name):
            lines += ["", f"[{name}]", *(_wrap(p) for p in str(record[name]).split("\n\n"))]
    return "\n".join(lines)


def _when(value: object, origin: object) -> str | None:
    if not value:
        return None
    text = value.isoformat() if isinstance(value, datetime) else str(value)
    return f"{text} (from {origin})" if origin else text


def _wrap(paragraph: str) -> str:
    return textwrap.fill(escape(paragraph), width=100) + "\n"


def poll_summary(reports: Sequence[PollReport]) -> list[list[str]]:
    rows = [["source", "outcome", "new", "seen", "skipped", "failed", "ms", "error"]]
    for r in reports:
        rows.append(
            [
                escape(r.source, oneline=True),
                r.outcome.replace("_", " "),
                str(r.new),
                str(r.seen),
                str(r.skipped),
                str(r.failed),
                str(r.ms),
                escape(r.error, oneline=True)[:80],
            ]
        )
    return rows
