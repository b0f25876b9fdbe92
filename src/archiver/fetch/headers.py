"""What response headers say, read without any HTTP library: charset, freshness."""

from __future__ import annotations

import email.utils
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from email.message import Message


def charset(content_type: str | None) -> str | None:
    if not content_type:
        return None
    message = Message()
    message["content-type"] = content_type
    value = message.get_content_charset()
    return value.strip() or None if value else None


def freshness(headers: Mapping[str, str], now: datetime) -> timedelta | None:
    """How long the response says it stays fresh: Cache-Control max-age, else Expires."""
    directives = [d.strip().lower() for d in headers.get("cache-control", "").split(",")]
    if "no-store" in directives or "no-cache" in directives:
        return None
    for directive in directives:
        name, _, value = directive.partition("=")
        if name.strip() == "max-age" and value.strip().strip('"').isdigit():
            seconds = int(value.strip().strip('"')[:9])
            return timedelta(seconds=seconds) if seconds > 0 else None
    expires = _http_date(headers.get("expires"))
    if expires is None:
        return None
    base = _http_date(headers.get("date")) or now
    delta = expires - base
    return delta if delta > timedelta(0) else None


def _http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)
