"""Listing dates -> aware UTC datetimes: W3C by isoparse, the rest by feedparser's handlers.

dateutil reads a zone written ``GMT+9`` the POSIX way, as nine hours *west* of UTC (a whole
Korea Times feed comes out 18 hours late), and takes ``ET``, ``PT``, ``MET`` or ``MEST``
for UTC. feedparser's date handlers (RFC 822 and its variants, W3C-DTF, ISO 8601, asctime
and a few national forms) read those as their writers mean them, so they come first. Two
things are done before them:

* ``GMT+9``, ``UTC+05:30``, ``GMT-01:01`` are rewritten as numeric offsets (``+0900``):
  feedparser reads ``GMT+09:00`` but not the one-digit ``GMT+9``;
* a zone name feedparser does not know but the agencies write (``MSK``, ``KST``, ``JST``,
  ``CET``: ``archiver.timeutil.ZONE_OFFSETS``) becomes its offset, where feedparser would
  take it for UTC.

dateutil remains only for what no feedparser handler reads (a date without a zone, or in an
order feedparser does not know); by then every zone it could misread is a number. A date
without a zone is taken as UTC.
"""

from __future__ import annotations

import re
import time
import warnings
from datetime import UTC, datetime

from dateutil import parser as dateparser
from feedparser.datetimes import _parse_date as feedparser_date
from feedparser.datetimes.rfc822 import timezone_names as feedparser_zones

from archiver.timeutil import ZONE_OFFSETS

# GMT+9, UTC +5:30, GMT-01:01, GMT+0900 (not Etc/GMT+9, whose sign is POSIX by definition)
_OFFSET_ZONE = re.compile(
    r"(?<![\w/])(?:GMT|UTC|UT)\s?([+-])\s?(\d{1,2})(?::?(\d{2}))?(?!\d)", re.IGNORECASE
)
_TRAILING_NAME = re.compile(r"(?<=\s)([A-Za-z]{2,5})\s*$")

#: the names dateutil may still meet: ours, and feedparser's own (hours east of UTC)
_FALLBACK_ZONES: dict[str, int] = {
    **{name.upper(): hours * 3600 for name, hours in feedparser_zones.items() if len(name) > 1},
    **ZONE_OFFSETS,
}


def w3c_date(text: str | None) -> datetime | None:
    """A sitemap's ``<lastmod>`` / ``<news:publication_date>`` (W3C, ISO 8601); a site that
    writes another form there is read like a feed date. Never a sign inverted."""
    if not text or not text.strip():
        return None
    try:
        return _utc(dateparser.isoparse(text.strip()))
    except (ValueError, OverflowError):
        return feed_date(text)


def feed_date(text: str | None) -> datetime | None:
    """A feed date (RFC 822 and variants, W3C, ISO 8601, ...) as an aware UTC datetime;
    None for garbage. A date without a zone is UTC."""
    if not text or not text.strip():
        return None
    text = numeric_zone(" ".join(text.split()))
    try:
        return _utc(dateparser.isoparse(text))
    except (ValueError, OverflowError):
        pass
    struct = feedparser_date(text)
    if struct is not None:
        return aware_from_struct(struct)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # UnknownTimezoneWarning: the zone is taken as UTC
        try:
            value = dateparser.parse(text, tzinfos=_FALLBACK_ZONES)
        except (ValueError, OverflowError, TypeError, LookupError):
            return None
    return _utc(value)


def numeric_zone(text: str) -> str:
    """``text`` with ``GMT+9``-style zones and the agencies' zone names as ``+0900``."""
    text = _OFFSET_ZONE.sub(_offset, text)
    match = _TRAILING_NAME.search(text)
    if match is not None:
        seconds = ZONE_OFFSETS.get(match.group(1).upper())
        if seconds is not None:
            sign = "-" if seconds < 0 else "+"
            hours, minutes = divmod(abs(seconds) // 60, 60)
            text = f"{text[: match.start()]}{sign}{hours:02d}{minutes:02d}"
    return text


def aware_from_struct(struct: time.struct_time) -> datetime | None:
    """feedparser's ``*_parsed`` (a UTC struct_time) as an aware datetime."""
    try:
        return datetime(*struct[:6], tzinfo=UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def _offset(match: re.Match[str]) -> str:
    sign, hours, minutes = match.group(1), int(match.group(2)), int(match.group(3) or 0)
    if hours > 14 or minutes > 59:
        return match.group(0)  # not an offset: left for the parsers to refuse
    return f"{sign}{hours:02d}{minutes:02d}"


def _utc(value: datetime) -> datetime | None:
    try:
        if value.tzinfo is None or value.utcoffset() is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
    except (ValueError, OverflowError):
        return None
