"""Reading the archive: the query language, full-text search, totals, an article's history.

from archiver.search import search
hits = search(Path("var/archive.db"), "ceasefire -rumour")
"""

from __future__ import annotations

from archiver.search.engine import (
    HL_END,
    HL_START,
    SORTS,
    count,
    index_warning,
    parse_when,
    search,
)
from archiver.search.query import Query, parse_query

__all__ = [
    "HL_END",
    "HL_START",
    "SORTS",
    "Query",
    "count",
    "index_warning",
    "parse_query",
    "parse_when",
    "search",
]
