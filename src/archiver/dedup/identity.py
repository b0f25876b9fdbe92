"""Link identities: what a listing entry is known by before its page is fetched."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from archiver.dedup.fingerprints import normalize_text, sha256_hex
from archiver.dedup.urls import canonical_link


def guids_look_stable(guids: Iterable[str | None]) -> bool:
    """Whether a listing's GUIDs can identify its items: some given, and all distinct.

    Pass every GUID of one listing. A feed that repeats one GUID on every item (or on
    several) is not trusted; the caller may also distrust a source whose GUIDs changed
    between two polls of the same URL.
    """
    present = [g.strip() for g in guids if g and g.strip()]
    return bool(present) and len(set(present)) == len(present)


def link_identity(
    url: str,
    guid: str | None,
    title: str | None,
    published: datetime | None,
    *,
    guid_trusted: bool = True,
    scope: str | None = None,
) -> str:
    """The key a listing entry is known by, with a prefix telling which rule gave it.

    Fallback order:

    1. ``url:<canonical URL>`` when ``url`` is an absolute http(s) URL (``canonical_url``).
    2. ``url:<canonical GUID>`` when the GUID itself is an http(s) URL (an RSS permalink),
       so it meets the same article found by URL; trackers and AMP are folded out of it.
    3. ``guid:<scope>:<GUID>`` when ``guid_trusted`` (the caller's ``guids_look_stable`` on
       the whole listing) and the GUID is non-blank and at most 1,000 characters. GUIDs are
       only unique within a feed, hence the ``scope`` (pass the source name).
    4. ``hash:<scope>:<sha256>`` of the normalised, case-folded title and the UTC
       publication time (to the second), when either is known.
    5. ``raw:<sha256>`` of the stripped url and GUID strings, when there is nothing else.
    """
    canonical = canonical_link(url.strip()) if isinstance(url, str) else None
    if canonical is not None:
        return f"url:{canonical}"
    prefix = f"{scope}:" if scope else ""
    guid_text = guid.strip() if guid else ""
    if guid_text:
        guid_url = canonical_link(guid_text)
        if guid_url is not None:
            return f"url:{guid_url}"
        if guid_trusted and len(guid_text) <= 1000:
            return f"guid:{prefix}{guid_text}"
    if (title and title.strip()) or published is not None:
        when = ""
        if published is not None:
            aware = published if published.tzinfo else published.replace(tzinfo=UTC)
            when = aware.astimezone(UTC).replace(microsecond=0).isoformat()
        key = f"{normalize_text(title or '').casefold()}\x1f{when}"
        return f"hash:{prefix}{sha256_hex(key)}"
    raw = f"{url.strip() if isinstance(url, str) else ''}\x1f{guid_text}"
    return f"raw:{sha256_hex(raw)}"
