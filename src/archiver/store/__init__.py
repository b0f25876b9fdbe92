"""The archive: SQLite (WAL) through sqlite-utils. The only package that writes SQL."""

from archiver.store.core import LinkUpdate, SourceState, Store, article_row
from archiver.store.schema import MIGRATIONS
from archiver.store.versions import LinkState, Saved

__all__ = ["MIGRATIONS", "LinkState", "LinkUpdate", "Saved", "SourceState", "Store", "article_row"]
