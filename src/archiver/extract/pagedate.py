"""Page dates the structured metadata does not give: htmldate, and web-archive captures.

htmldate (trafilatura's date finder) reads the markup, the URL and the visible text for the
publication date; it works on a copy of the already-parsed tree. A page saved by the Wayback
Machine (``https://web.archive.org/web/20240321140500/https://...``) is dated from the
URL of the original, never from the capture timestamp.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, tzinfo

from lxml.html import HtmlElement

from archiver.extract.dates import parse_date
from archiver.timeutil import FUTURE_SLACK

_WAYBACK = re.compile(
    r"^https?://(?:www\.)?web\.archive\.org/web/[0-9]{1,14}[a-z_]{0,4}/(?P<url>.+)$",
    re.IGNORECASE,
)
_MIN_DATE = datetime(1995, 1, 1)
_FORMAT = "%Y-%m-%dT%H:%M:%S"
EXTENSIVE_CHARS = 2_000_000  # past this size, htmldate reads the markup only (its text
# search is slow on huge pages)
logging.getLogger("htmldate").setLevel(logging.ERROR)


def original_url(url: str) -> str:
    """The URL of the page a web-archive copy was taken from (else ``url`` itself)."""
    match = _WAYBACK.match(url or "")
    if not match:
        return url
    inner = match.group("url")
    return inner if inner.lower().startswith(("http://", "https://")) else f"http://{inner}"


def htmldate_published(
    doc: HtmlElement, url: str, *, tz: tzinfo | None, now: datetime | None, size: int = 0
) -> datetime | None:
    """The publication date htmldate finds (read in the site's zone), or None. ``size``:
    the page's length in characters."""
    current = now if now is not None else datetime.now(UTC)
    latest = (current + FUTURE_SLACK).replace(tzinfo=None)
    try:
        from htmldate import find_date

        found = find_date(
            doc,
            url=original_url(url),
            original_date=True,
            outputformat=_FORMAT,
            extensive_search=size <= EXTENSIVE_CHARS,
            min_date=_MIN_DATE,
            max_date=latest,
        )
    except Exception:  # a third-party heuristic: any failure is "no date", never an error
        return None
    return parse_date(found, tz=tz, now=now) if found else None
