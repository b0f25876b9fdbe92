"""Suite-wide fixtures: the throwaway PostgreSQL cluster (``tests/pg.py``)."""

from pg import pg_cluster, pg_url  # noqa: F401
