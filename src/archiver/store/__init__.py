"""The archive: SQLite (WAL) through sqlite-utils, or PostgreSQL (``store.pg``). The only
package that writes SQL. ``open_store(settings)`` picks the backend ``[archive]`` names.

The names below load on first use, so a read command that needs only
``archiver.store.readonly`` does not import sqlite-utils (and numpy through it).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from archiver.config import ArchiveSettings
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
__all__ = [
    "MIGRATIONS",
    "LinkState",
    "LinkUpdate",
    "Saved",
    "SourceState",
    "Store",
    "article_row",
    "open_store",
]


def open_store(settings: ArchiveSettings, *, readonly: bool = False) -> Store:
    """The archive ``[archive]`` names: PostgreSQL when it has a ``url``, else SQLite."""
    if settings.url:
        from archiver.store.pg.core import PgStore

        return PgStore(settings.url, readonly=readonly)
    from archiver.store.core import Store

    return Store(settings.path, readonly=readonly)


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f"archiver.store.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'archiver.store' has no attribute {name!r}")
