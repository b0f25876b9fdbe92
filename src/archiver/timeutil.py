"""Small time helpers shared by the stages: aware UTC now, ISO text in and out of the store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

#: a date further ahead than this is not trusted (clock skew and typos aside)
FUTURE_SLACK = timedelta(days=1)

#: zone abbreviations seen on agency pages and feeds that dateutil does not know by itself,
#: as seconds east of UTC (for ``dateutil.parser.parse(tzinfos=...)``)
ZONE_OFFSETS = {
    "UTC": 0,
    "GMT": 0,
    "UT": 0,
    "Z": 0,
    "BST": 3600,
    "CET": 3600,
    "CEST": 2 * 3600,
    "EET": 2 * 3600,
    "EEST": 3 * 3600,
    "MSK": 3 * 3600,
    "KST": 9 * 3600,
    "JST": 9 * 3600,
    "EST": -5 * 3600,
    "EDT": -4 * 3600,
    "CST": -6 * 3600,
    "CDT": -5 * 3600,
    "MST": -7 * 3600,
    "MDT": -6 * 3600,
    "PST": -8 * 3600,
    "PDT": -7 * 3600,
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_iso(value: datetime | None) -> str | None:
    """An aware datetime as ISO 8601 in UTC (``2021-01-30T09:12:00+00:00``); naive means UTC."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="seconds")


def from_iso(text: str | None) -> datetime | None:
    if not text:
        return None
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)
