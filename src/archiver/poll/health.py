"""A source's health in words, from what the archive remembers of its polls.

The scheduling side of ``archiver sources``: "ok", "not modified", "failing", "backing off"
(failing, and its next check pushed past its interval by the backoff of ``schedule``),
"blocked", "blocked by robots", "never polled", "disabled".
"""

from __future__ import annotations

from datetime import datetime, timedelta

from archiver.models import SourceHealth
from archiver.timeutil import from_iso

#: the words for a poll outcome that needs no more context
STATUS_WORDS = {
    "ok": "ok",
    "not_modified": "not modified",
    "failed": "failing",
    "blocked": "blocked",
}


def source_status(health: SourceHealth, now: datetime) -> str:
    """One word or two for a source's health."""
    if not health.enabled:
        return "disabled"
    outcome = health.last_outcome
    if outcome is None:
        return "never polled"
    if outcome in ("failed", "blocked"):
        error = (health.last_error or "").lower()
        if outcome == "blocked" and "robots" in error:
            return "blocked by robots"
        if outcome == "blocked":
            return "blocked"
        next_check = from_iso(health.next_check)
        every = timedelta(seconds=health.every_s or 0)
        if health.error_count > 1 and next_check and next_check - now > every:
            return "backing off"
        return "failing"
    return STATUS_WORDS.get(outcome, outcome)
