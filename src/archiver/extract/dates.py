"""Dates as pages write them -> timezone-aware datetimes.

ISO 8601 (with or without a zone), RFC 2822, Unix timestamps (seconds or milliseconds) and
the free forms python-dateutil reads; a value without a day ("2006", "May 2019") is no date.
A time without a zone is read in the site's zone (the rule's ``timezone``), else taken as
UTC. A date more than a day after ``now`` is not trusted (None): pages carry event dates,
copyright years and broken CMS values.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil import parser as dateparser

from archiver.timeutil import FUTURE_SLACK, ZONE_OFFSETS

_EPOCH = re.compile(r"^\s*(\d{9,10}|\d{12,13})(?:\.\d+)?\s*$")
_DOTTED = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})(?:[ ,T]+(\d{1,2}):(\d{2}))?\b")
_MIN_YEAR = 1990
REPUBLISHED = timedelta(days=30)
# two defaults that differ in month and day: what dateutil fills in from them differs
_FILLS = (datetime(2000, 1, 1), datetime(2000, 2, 2))


def zone(name: str | None) -> tzinfo | None:
    """The ZoneInfo for an IANA name, or None when the name is empty or unknown."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def parse_date(
    value: object, *, tz: tzinfo | None = None, now: datetime | None = None
) -> datetime | None:
    """An aware datetime for ``value``, or None when it is not a trustworthy date."""
    if value is None:
        return None
    if isinstance(value, datetime):
        parsed: datetime | None = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        parsed = _from_epoch(float(value))
    elif isinstance(value, str):
        parsed = _from_text(value.strip()[:100])
    else:
        return None
    if parsed is None:
        return None
    if tz is not None and parsed.tzinfo is UTC and _is_epoch(value):
        parsed = parsed.astimezone(tz)  # a timestamp is shown in the site's own zone
    if parsed.tzinfo is None or parsed.tzinfo.utcoffset(parsed) is None:
        parsed = parsed.replace(tzinfo=tz or UTC)
    if parsed.year < _MIN_YEAR:
        return None
    current = now if now is not None else datetime.now(UTC)
    if current.tzinfo is None:
        current = current.replace(tzinfo=UTC)
    if parsed - current > FUTURE_SLACK:
        return None
    return parsed


def _is_epoch(value: object) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int | float) or bool(isinstance(value, str) and _EPOCH.match(value))


def _from_epoch(number: float) -> datetime | None:
    if number > 1e11:  # milliseconds
        number /= 1000
    try:
        return datetime.fromtimestamp(number, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _from_text(text: str) -> datetime | None:
    if not text:
        return None
    if _EPOCH.match(text):
        return _from_epoch(float(text))
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        pass
    m = _DOTTED.match(text)
    if m:  # 28.04.2023 [14:05]: day first, as everywhere dots are used
        d, mo, y, hh, mm = (int(g) if g else 0 for g in m.groups())
        try:
            return datetime(y, mo, d, hh, mm)
        except ValueError:
            return None
    if re.match(r"^[A-Z][a-z]{2}, \d", text):
        try:
            return parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            pass
    if not re.search(r"\d{4}", text):  # no year: too ambiguous to trust
        return None
    try:
        first, second = (dateparser.parse(text, default=d, tzinfos=_zone_offset) for d in _FILLS)
    except (ValueError, OverflowError, TypeError, LookupError):
        return None
    # a month or a day dateutil filled in from its default ("2006", "May 2019") is no date
    return first if first.date() == second.date() else None


def _zone_offset(name: str, offset: int | None) -> int | None:
    """dateutil's ``tzinfos`` hook: a known abbreviation's offset (seconds east of UTC); an
    unknown one leaves the time without a zone (read in the site's zone), and no warning."""
    return ZONE_OFFSETS.get(name.upper()) if name else offset


def on_url_day(value: datetime, url_day: datetime | None) -> datetime:
    """``value`` shown on the local day the URL names, when the page gave it in UTC.

    A CMS that writes its times in UTC ("2020-02-25T02:25:54Z") for a story filed under
    ``/2020/02/24/`` published it in the evening of the 24th in its own zone. The instant is
    kept; it is shown at the UTC offset nearest zero (whole hours, -10..+14: the zones news
    is written in) that puts it on the URL's day. A value with the site's own offset, or a
    URL day more than one away, is kept as given.
    """
    if url_day is None or value.utcoffset() != timedelta(0):
        return value
    gap = (url_day.date() - value.date()).days
    if gap not in (-1, 1):
        return value
    for hours in range(1, 15):
        offset = hours * gap
        if -10 <= offset <= 14:
            shown = value.astimezone(timezone(timedelta(hours=offset)))
            if shown.date() == url_day.date():
                return shown
    return value


def republished(value: datetime, url_day: datetime | None) -> bool:
    """True when ``value`` is more than ``REPUBLISHED`` after the day the URL files the story
    under: a CMS mints the URL when the story first goes out, so a structured date that much
    later is a republication or an edit (``/2017/7/12/...`` with a JSON-LD date of 2019)."""
    return url_day is not None and value.date() - url_day.date() > REPUBLISHED
