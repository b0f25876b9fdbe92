"""``archiver serve``: Datasette on the archive, read-only, with archiver's plugin and metadata."""

from __future__ import annotations

from archiver.serve.app import serve

__all__ = ["serve"]
