"""Text fingerprints: normalised text, content hashes, whether a re-fetch changed in substance."""

from __future__ import annotations

import hashlib
import re
import unicodedata

_CHAR_MAP = str.maketrans(
    {
        **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u2035\u2039\u203a`\u00b4", "'"),
        **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033\u2036\u00ab\u00bb", '"'),
        **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d", "-"),
        **dict.fromkeys("\u200b\u200c\u200d\u2060\ufeff\u00ad", None),
    }
)
_MONTHS = (
    "jan|january|feb|february|mar|march|apr|april|may|jun|june|jul|july|aug|august|sep|"
    "sept|september|oct|october|nov|november|dec|december|"
    "января|февраля|марта|апреля|мая|июня|июля|августа|сентября|октября|ноября|декабря"
)
_DAYS = "mon|monday|tue|tues|tuesday|wed|wednesday|thu|thur|thurs|thursday|fri|friday|sat|"
_DAYS += "saturday|sun|sunday"
_ZONES = (
    "gmt|utc|z|bst|cet|cest|eet|eest|msk|мск|est|edt|cst|cdt|mst|mdt|pst|pdt|et|pt|kst|jst|"
    "ist|trt|aest|aedt|hkt|sgt|wib"
)
_TS_LABEL = re.compile(
    r"^\s*(?:last\s+|first\s+)?(?:updated|update|modified|published|posted|edited|"
    r"обновлено|опубликовано|изменено)\b\s*(?:on|at)?\s*:?",
)
_TS_TOKEN = re.compile(
    rf"\b(?:{_MONTHS}|{_DAYS}|{_ZONES}|am|pm|ago|just|now|on|at|in|of|the|"
    r"seconds?|secs?|minutes?|mins?|hours?|hrs?|h|days?|г|года|в|"
    r"t?\d{1,4}(?:st|nd|rd|th)?)\b"
)
_TS_TIME = re.compile(r"\d{1,2}[:.]\d{2}|\bago\b")


def _is_timestamp_line(line: str) -> bool:
    """``Updated 10:42 GMT``, ``Last updated: 30 Jan 2024, 14:05``, ``2 hours ago``."""
    low = line.strip().casefold()
    if not low or len(low) > 100 or not any(ch.isdigit() for ch in low):
        return False
    label = _TS_LABEL.match(low)
    if label is None and not _TS_TIME.search(low):
        return False
    rest = low[label.end() :] if label else low
    rest = _TS_TOKEN.sub(" ", rest.replace("a.m.", "am").replace("p.m.", "pm"))
    return re.search(r"\w", rest) is None


def normalize_text(text: str | None) -> str:
    """Text reduced to its substance, for hashing and comparing.

    NFKC (full-width forms, ligatures, no-break spaces), curly/angle quotes to straight,
    every dash and minus to ``-``, zero-width characters and soft hyphens removed, lines
    that are only a timestamp (``Updated 10:42 GMT``, ``Last updated: ...``, ``5 hours
    ago``) dropped, all whitespace (line breaks included) folded to single spaces. Case is
    kept.
    """
    if not text:
        return ""
    norm = unicodedata.normalize("NFKC", text).translate(_CHAR_MAP)
    lines = [line for line in norm.splitlines() if not _is_timestamp_line(line)]
    return " ".join(" ".join(lines).split())


def content_hash(title: str | None, lead: str | None, body: str | None) -> str:
    """sha256 hex of the normalised title, lead and body (fields kept apart)."""
    joined = "\x1f".join(normalize_text(part) for part in (title, lead, body))
    return sha256_hex(joined)


_FIELDS = ("title", "lead", "body")


def substantive_change(
    old: tuple[str | None, str | None, str | None],
    new: tuple[str | None, str | None, str | None],
) -> tuple[str, ...]:
    """Which of ``("title", "lead", "body")`` changed in substance, in that order.

    ``()`` means the versions are the same once normalised (whitespace, quote and dash
    styles, no-break spaces, zero-width characters, timestamp lines): no new revision.
    """
    return tuple(
        name
        for name, before, after in zip(_FIELDS, old, new, strict=True)
        if normalize_text(before) != normalize_text(after)
    )


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
