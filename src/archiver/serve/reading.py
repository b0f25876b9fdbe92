"""Pure helpers of the reading room: readable times, paragraphs, highlighted passages, word diffs.

Every function takes plain values and returns HTML-safe ``Markup`` or plain data; nothing
here reads the database. Text from the web is always escaped before it is marked up.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from markupsafe import Markup, escape

from archiver.logs import escape as escape_controls
from archiver.search import HL_END, HL_START

TIME_COLUMNS = frozenset(
    {
        "published",
        "updated",
        "first_seen",
        "last_seen",
        "gone_at",
        "seen_at",
        "last_polled",
        "next_check",
        "added",
        "at",
        "first_at",
        "last_at",
        "last_fetched",
        "next_revisit",
    }
)
_BIDI = {c: f"\\u{c:04x}" for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)]}
_WORD_RE = re.compile(r"\s*\S+\s*")
LEAD_WORDS = 40


def parse_time(text: object) -> datetime | None:
    """An ISO 8601 string from the archive as an aware datetime (UTC when it has no zone)."""
    if not isinstance(text, str) or not text.strip():
        return None
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def readable_time(text: object) -> str:
    """``2021-01-30T09:12:00+00:00`` -> ``30 Jan 2021 09:12 UTC``; other values as they are."""
    when = parse_time(text)
    if when is None:
        return "" if text is None else str(text)
    when = when.astimezone(UTC)
    clock = when.strftime("%H:%M") if when.second == 0 else when.strftime("%H:%M:%S")
    return f"{when.day} {when.strftime('%b %Y')} {clock} UTC"


def time_html(text: object) -> Markup:
    """A ``<time>`` element: readable words, the ISO value in ``datetime`` and the tooltip."""
    when = parse_time(text)
    if when is None:
        return Markup("") if text is None else Markup(escape(str(text)))
    iso = escape(str(text))
    return Markup(
        f'<time class="ar-time" datetime="{iso}" title="{iso}">{escape(readable_time(text))}</time>'
    )


def visible(text: object) -> str:
    """A headline as plain visible text: control characters (ANSI escapes, newlines) and
    bidirectional overrides shown as escapes, so no title can reorder or hide its words."""
    if text is None:
        return ""
    return escape_controls(text).translate(_BIDI)


def paragraphs(text: object) -> list[str]:
    """A body as the store keeps it (paragraphs joined by a blank line) -> its paragraphs."""
    if not isinstance(text, str):
        return []
    parts = re.split(r"\n\s*\n", text)
    return [" ".join(p.split()) for p in parts if p.strip()]


def json_list(text: object) -> list[str]:
    """A JSON list column (authors, tags) as strings; anything else -> []."""
    if isinstance(text, list):
        return [str(v) for v in text]
    if not isinstance(text, str) or not text.strip():
        return []
    try:
        value = json.loads(text)
    except ValueError:
        return [text]
    if isinstance(value, list):
        return [str(v) for v in value if v is not None and str(v).strip()]
    return [str(value)]


def lead_or_start(lead: object, body: object, words: int = LEAD_WORDS) -> str:
    """The standfirst when there is one, else the first ``words`` words of the body."""
    if isinstance(lead, str) and lead.strip():
        return " ".join(lead.split())
    tokens = str(body or "").split()
    text = " ".join(tokens[:words])
    return text + ("…" if len(tokens) > words else "")


def highlighted(snippet: str) -> Markup:
    """A search snippet with ``HL_START``/``HL_END`` markers -> escaped HTML with ``<mark>``."""
    out: list[str] = []
    depth = 0
    for piece in re.split(f"([{HL_START}{HL_END}])", snippet):
        if piece == HL_START:
            if depth == 0:
                out.append("<mark>")
            depth += 1
        elif piece == HL_END:
            if depth == 1:
                out.append("</mark>")
            depth = max(depth - 1, 0)
        elif piece:
            out.append(str(escape(piece)))
    if depth:
        out.append("</mark>")
    return Markup("".join(out))


@dataclass(frozen=True, slots=True)
class DiffPart:
    """A run of words that stayed (``same``), went (``del``) or came (``ins``)."""

    op: str
    text: str


def word_diff(old: object, new: object) -> list[DiffPart]:
    """What changed between two texts, word by word (each word keeps the spaces around it)."""
    before = _WORD_RE.findall(str(old or ""))
    after = _WORD_RE.findall(str(new or ""))
    matcher = difflib.SequenceMatcher(
        a=[w.strip() for w in before], b=[w.strip() for w in after], autojunk=False
    )
    parts: list[DiffPart] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            parts.append(DiffPart("same", "".join(after[j1:j2])))
            continue
        if tag in ("delete", "replace"):
            parts.append(DiffPart("del", "".join(before[i1:i2])))
        if tag in ("insert", "replace"):
            parts.append(DiffPart("ins", "".join(after[j1:j2])))
    return parts


def diff_html(old: object, new: object, *, context: int = 12) -> Markup:
    """A word diff as HTML (``<del>``/``<ins>``), long unchanged runs cut to a few words."""
    parts = word_diff(old, new)
    out: list[str] = []
    for index, part in enumerate(parts):
        if part.op != "same":
            out.append(f"<{part.op}>{escape(part.text)}</{part.op}>")
            continue
        words = part.text.split()
        head = words[:context] if index < len(parts) - 1 else words
        tail = words[-context:] if index > 0 else words
        if index == 0:
            kept = ("… " if len(words) > context else "") + " ".join(words[-context:])
        elif index == len(parts) - 1:
            kept = " ".join(words[:context]) + (" …" if len(words) > context else "")
        elif len(words) > 2 * context:
            kept = " ".join(head) + " … " + " ".join(tail)
        else:
            kept = " ".join(words)
        space_before = " " if part.text[:1].isspace() else ""
        space_after = " " if part.text[-1:].isspace() else ""
        out.append(str(escape(space_before + kept + space_after)))
    return Markup("".join(out))


def changed(old: dict[str, object], new: dict[str, object], fields: tuple[str, ...]) -> list[str]:
    """The fields whose text differs between two versions."""
    return [f for f in fields if (old.get(f) or "") != (new.get(f) or "")]
