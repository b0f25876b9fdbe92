"""Article extraction: a page (bytes or text) and its URL -> archiver.models.Article.

    from archiver.extract import extract
    article = extract(page_bytes, "https://tass.com/world/1251111", charset="utf-8")

Decode (``decode.py``), parse once with lxml, choose the site rule (``rules.py``, built-ins
in ``builtin_rules.toml``), metadata in order of trust (``metadata.py``), the body from the
rule or the generic path (``generic.py``), the wire dateline (``dateline.py``), the page
kind (``pagekind.py``). Only ``ParseError`` is raised.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from archiver.extract.dateline import parse_dateline
from archiver.extract.decode import decode_html
from archiver.extract.rules import SiteRule, builtin_rules, find_rule, rule_from_config

__all__ = [
    "SiteRule",
    "builtin_rules",
    "decode_html",
    "extract",
    "find_rule",
    "parse_dateline",
    "parse_html",
    "rule_from_config",
]

if TYPE_CHECKING:
    from archiver.extract.core import extract, parse_html


def __getattr__(name: str) -> Any:
    """``extract`` and ``parse_html`` load the parser stack (trafilatura) on first use, so a
    process that only needs site rules or datelines (the daemon's parent) never imports it."""
    if name in ("extract", "parse_html"):
        from archiver.extract import core

        return getattr(core, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
