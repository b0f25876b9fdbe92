"""The ``archiver`` command line: thin click commands and how their results are printed."""

from __future__ import annotations

from archiver.cli.commands import main

__all__ = ["main"]
