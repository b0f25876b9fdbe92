"""What the listing parsers share: absolute http(s) URLs, dates in UTC, clean text."""

from __future__ import annotations

import time
import warnings
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

from dateutil import parser as dateparser

from archiver.timeutil import ZONE_OFFSETS


def absolute_http(base: str, href: Any) -> str | None:
    """``href`` made absolute against ``base``, without fragment; None unless http(s)."""
    if not isinstance(href, str) or not href.strip():
        return None
    link: str = href.strip()
    try:
        if not link.lower().startswith(("http://", "https://")):
            link = urljoin(base, link)  # (an absolute link needs no join: the common case)
        absolute, _fragment = urldefrag(link)
        parts = urlsplit(absolute)
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return absolute


def parse_date(text: str | None) -> datetime | None:
    """A W3C/ISO or RFC 822 date as an aware UTC datetime; None for garbage. Naive -> UTC."""
    if not text or not text.strip():
        return None
    text = text.strip()
    try:
        value = dateparser.isoparse(text)
    except (ValueError, OverflowError):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # UnknownTimezoneWarning: the zone is taken as UTC
            try:
                value = dateparser.parse(text, tzinfos=ZONE_OFFSETS)
            except (ValueError, OverflowError, TypeError, LookupError):
                return None
    return _utc(value)


def aware_from_struct(struct: time.struct_time) -> datetime | None:
    """feedparser's ``*_parsed`` (a UTC struct_time) as an aware datetime."""
    try:
        return datetime(*struct[:6], tzinfo=UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def _utc(value: datetime) -> datetime | None:
    try:
        if value.tzinfo is None or value.utcoffset() is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def clean(text: Any) -> str | None:
    if not isinstance(text, str):
        return None
    return " ".join(text.split()) or None
