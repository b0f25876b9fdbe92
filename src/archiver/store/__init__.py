"""The archive: SQLite (WAL) through sqlite-utils. The only package that writes SQL.

The names below load on first use, so a read command that needs only
``archiver.store.readonly`` does not import sqlite-utils (and numpy through it).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from archiver.store.core import LinkUpdate, SourceState, Store, article_row
    from archiver.store.schema import MIGRATIONS
    from archiver.store.versions import LinkState, Saved

_WHERE = {
    "LinkUpdate": "core",
    "SourceState": "core",
    "Store": "core",
    "article_row": "core",
    "MIGRATIONS": "schema",
    "LinkState": "versions",
    "Saved": "versions",
}
__all__ = ["MIGRATIONS", "LinkState", "LinkUpdate", "Saved", "SourceState", "Store", "article_row"]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f"archiver.store.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'archiver.store' has no attribute {name!r}")
