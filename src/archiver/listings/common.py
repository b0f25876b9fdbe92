"""What the listing parsers share: absolute http(s) URLs and clean text."""

from __future__ import annotations

from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit


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


def clean(text: Any) -> str | None:
    if not isinstance(text, str):
        return None
    return " ".join(text.split()) or None
