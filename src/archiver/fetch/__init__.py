"""Fetching: the only package that speaks HTTP (client, netguard, politeness, robots, codings)."""

from __future__ import annotations

from archiver.fetch.client import Fetcher, host_key

__all__ = ["Fetcher", "host_key"]
