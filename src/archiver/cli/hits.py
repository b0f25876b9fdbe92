"""Formatting search results: a readable table for terminals, JSON and CSV for programs.

Text from the archive is untrusted (pages from the open web): control characters, ANSI
escapes and bidi overrides in titles or snippets are shown escaped (``\\x1b``) by the one
terminal escaper, ``archiver.logs.escape``; newlines and tabs become spaces. JSON keeps the
data faithful (json.dumps escapes control characters itself); its field names are stable:
id, url, source, title, published, snippet, plus language, cluster_id, rank.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import UTC

from archiver.errors import QueryError
from archiver.logs import escape, safe_json
from archiver.models import SearchHit
from archiver.search import HL_END, HL_START

FORMATS = ("table", "json", "csv")
FIELDS = ("id", "url", "source", "title", "published", "snippet", "language", "cluster_id", "rank")

_HL_ON = "\x1b[1;33m"  # bold yellow
_HL_OFF = "\x1b[0m"
_DIM = "\x1b[2m"
_BOLD = "\x1b[1m"


def escape_text(text: str | None) -> str:
    """A cell or snippet for a terminal: ``logs.escape`` in its one-line form."""
    return escape(text, oneline=True)


def plain_snippet(snippet: str) -> str:
    """The snippet without highlight markers."""
    return snippet.replace(HL_START, "").replace(HL_END, "")


def _snippet_for_terminal(snippet: str, color: bool) -> str:
    text = escape_text(snippet)
    if color:
        return text.replace(HL_START, _HL_ON).replace(HL_END, _HL_OFF)
    return plain_snippet(text)


def _date(hit: SearchHit) -> str:
    if hit.published is None:
        return "undated"
    return hit.published.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _record(hit: SearchHit) -> dict[str, object]:
    return {
        "id": hit.id,
        "url": hit.url,
        "source": hit.source,
        "title": hit.title,
        "published": hit.published.isoformat() if hit.published else None,
        "snippet": plain_snippet(hit.snippet),
        "language": hit.language,
        "cluster_id": hit.cluster_id if hit.cluster_id is not None else hit.id,
        "rank": hit.rank,
    }


def _table(hits: Sequence[SearchHit], color: bool) -> str:
    if not hits:
        return "No matches."
    bold, dim, off = (_BOLD, _DIM, _HL_OFF) if color else ("", "", "")
    blocks = []
    for number, hit in enumerate(hits, 1):
        title = plain_snippet(escape_text(hit.title)) or "(untitled)"
        meta = f"{escape_text(hit.source) or '?'} · {_date(hit)}"
        lines = [f"{number:>3}. {bold}{title}{off}", f"     {dim}{meta}{off}"]
        snippet = _snippet_for_terminal(hit.snippet, color)
        if snippet:
            lines.append(f"     {snippet}")
        lines.append(f"     {dim}{plain_snippet(escape_text(hit.url))}{off}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _csv(hits: Sequence[SearchHit]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(FIELDS)
    for hit in hits:
        record = _record(hit)
        writer.writerow(
            [
                escape_text(v) if isinstance(v, str) else ("" if v is None else v)
                for v in (record[f] for f in FIELDS)
            ]
        )
    return buffer.getvalue().rstrip("\n")


def format_hits(hits: Sequence[SearchHit], fmt: str = "table", *, color: bool = False) -> str:
    """Render hits as ``table`` (highlighted when ``color``), ``json`` or ``csv``."""
    if fmt == "table":
        return _table(hits, color)
    if fmt == "json":
        return safe_json(json.dumps([_record(h) for h in hits], ensure_ascii=False, indent=2))
    if fmt == "csv":
        return _csv(hits)
    raise QueryError(f"unknown format {fmt!r} (use {', '.join(FORMATS)})")


def format_counts(counts: Sequence[tuple[str, int]], fmt: str = "table") -> str:
    """Render ``count()``'s totals per source."""
    if fmt == "json":
        return json.dumps([{"source": s, "count": n} for s, n in counts], ensure_ascii=False)
    if fmt == "csv":
        rows = ["source,count", *(f"{_csv_cell(s)},{n}" for s, n in counts)]
        return "\n".join(rows)
    if fmt != "table":
        raise QueryError(f"unknown format {fmt!r} (use {', '.join(FORMATS)})")
    if not counts:
        return "No matches."
    names = [escape_text(s) for s, _ in counts]
    width = max(len(n) for n in names)
    total = sum(n for _, n in counts)
    lines = [f"{name:<{width}}  {n:>9,}" for name, (_, n) in zip(names, counts, strict=True)]
    lines.append(f"{'total':<{width}}  {total:>9,}")
    return "\n".join(lines)


def _csv_cell(value: str) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow([escape_text(value)])
    return buffer.getvalue()
