"""What a poller does differently on a PostgreSQL archive, where several daemons may poll.

``share_backend`` plugs the archive's host slots (``PgHostSlots``, a
``fetch.politeness.SharedSlots``) into the Fetcher through its public ``share_hosts`` (the
per-host delay and Retry-After hold across daemons) and names the process's WARC files by its
daemon id, so daemons sharing ``archive.captures`` never write to one file. On SQLite it
changes nothing. Imports no database driver unless the archive is PostgreSQL.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from archiver.fetch import Fetcher
    from archiver.store.core import Store
    from archiver.store.leases import Holder

WARC_PREFIX = "archiver"


def share_backend(store: Store, fetcher: Fetcher, holder: Holder) -> str:
    """Share politeness through ``store`` when it is PostgreSQL; returns the WARC prefix."""
    if getattr(store, "backend", "sqlite") != "postgresql":
        return WARC_PREFIX
    from archiver.store.pg.core import PgStore
    from archiver.store.pg.slots import PgHostSlots

    assert isinstance(store, PgStore)
    fetcher.share_hosts(PgHostSlots(store, holder.id))
    safe = "".join(c if c.isalnum() or c in "_.-" else "-" for c in holder.host)
    return f"{WARC_PREFIX}-{safe}-{holder.pid}-{holder.token}"
