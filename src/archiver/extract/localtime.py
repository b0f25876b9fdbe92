"""A time the page gives in UTC, shown on its site's clock when the page also writes it so.

Many CMSs write ``datePublished`` in UTC (``2023-11-09T06:35:29Z``); the day a reader saw
is the local one (the 8th in Los Angeles). The page often writes the same instant on the
local clock elsewhere: ``<meta name="sailthru.date" content="2023-11-08 22:35:29">``, a
video's ``"uploadDate":"2023-11-08T21:11:03-05:00"``, the visible ``3/5/2022 22:41`` or
``19. Oktober 2019 00:04 Uhr``. Such a rendering (``H:MM``, 24-hour or am/pm: the same
minute, and second when it has one; a whole-hour offset between -10 and +14; the local day
and year written beside it; no zone, or that offset) names the site's offset. One pass
over the page text per UTC date.

Without one, a UTC time of exactly 22:00:00 or 23:00:00 is a date without a time that a CMS
one or two hours east of UTC (Central Europe) stored as its local midnight
(``2021-11-04T23:00Z`` for a story of 5 November): it is shown as that midnight.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, time, timedelta, timezone

_WINDOW = 40  # characters either side of a clock time where its date is looked for
_OFFSETS = range(-10, 15)  # hours east of UTC that news is written in
_MAX_SCAN = 3_000_000  # characters of a page searched
_MAX_HITS = 2_000  # ":MM" places looked at (a hostile page may repeat one a million times)
_LOCAL_MIDNIGHT = (22, 23)  # a UTC time of exactly 22:00 or 23:00 is midnight at +2 or +1


# at a ":MM" found by str.find: H:MM or HH:MM, optional :SS, am/pm, and a zone written after it
_CLOCK = re.compile(
    r"(\d{1,2}):(\d\d)(?![\d])(?::(\d\d)(?:\.\d+)?)?"
    r"(?:\s?([ap])\.?m\b\.?)?(\s?(?:Z|[+-]\d\d:?\d\d)(?![\d]))?",
    re.IGNORECASE,
)
_ZONE = re.compile(r"([+-])(\d\d):?(\d\d)")
_NOT_BEFORE = frozenset("0123456789:.+-")  # a clock time starts no number, offset or time


def site_clock(value: datetime, text: str) -> datetime:
    """``value`` (a UTC time) at the offset the page writes the same instant in, else as is."""
    if value.utcoffset() != timedelta(0):
        return value
    found: Counter[int] = Counter()
    needle = f":{value.minute:02d}"
    end = min(len(text), _MAX_SCAN)
    at = text.find(needle, 1, end)
    for _ in range(_MAX_HITS):
        if at == -1:
            break
        start = at - 2 if at >= 2 and text[at - 2].isdigit() else at - 1
        match = _CLOCK.match(text, start) if text[start].isdigit() else None
        if match and (start == 0 or text[start - 1] not in _NOT_BEFORE):
            offset = _offset(value, match, text)
            if offset is not None:
                found[offset] += 1
        at = text.find(needle, at + 3, end)
    if not found:
        if value.hour in _LOCAL_MIDNIGHT and value.time().replace(hour=0) == time(0):
            return value.astimezone(timezone(timedelta(hours=24 - value.hour)))
        return value
    best = max(found, key=lambda o: (found[o], -abs(o)))
    return value.astimezone(timezone(timedelta(hours=best)))


def _offset(value: datetime, match: re.Match[str], text: str) -> int | None:
    """The whole-hour offset this clock time shows ``value`` at, when it is that instant."""
    hour = int(match.group(1))
    seconds, half, zone = match.group(3), match.group(4), match.group(5)
    if half:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half.lower() == "p" else 0)
    if hour > 23 or (seconds is not None and int(seconds) != value.second):
        return None
    offset = (hour - value.hour) % 24
    offset = offset - 24 if offset > max(_OFFSETS) else offset
    if offset == 0 or offset not in _OFFSETS:
        return None
    if zone:
        z = _ZONE.search(zone)
        written = 0 if z is None else (1 if z.group(1) == "+" else -1) * int(z.group(2))
        if (z is not None and z.group(3) != "00") or written != offset:
            return None  # a time labelled with another zone is another instant
    local = value + timedelta(hours=offset)
    near = text[max(0, match.start() - _WINDOW) : match.end() + _WINDOW]
    iso = local.strftime("%Y-%m-%d")
    if iso in near:
        return offset
    if str(local.year) in near and re.search(rf"(?<!\d)0?{local.day}(?!\d)", near):
        return offset
    return None
