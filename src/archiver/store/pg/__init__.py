"""The PostgreSQL backend: the same tables, migrations and Store interface as SQLite.

``archive.url = "postgresql://..."`` opens ``PgStore`` (``store.pg.core``) instead of the
SQLite ``Store``; everything above the store runs unchanged on either.
"""
