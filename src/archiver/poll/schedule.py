"""When to look at a source next: a pure function of its interval, the outcome and ``now``.

* success: ``now + every``, stretched to the source's own freshness hint (feed TTL,
  Cache-Control max-age, Expires) when that is longer, the hint capped at 24 h;
* failure number n in a row: ``every * 2**(n-1)`` with ±10 % jitter, capped at 24 h (or at
  ``every`` when the interval itself is longer than a day); a success resets the count;
* never earlier than a Retry-After the server gave (itself capped at 24 h from now).
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

MAX_DELAY = timedelta(hours=24)
JITTER = 0.1


def next_check(
    *,
    now: datetime,
    every: timedelta,
    ok: bool,
    error_count: int,
    hint: timedelta | None = None,
    retry_after: datetime | None = None,
    rand: random.Random | None = None,
) -> datetime:
    """The time a source is next due. ``error_count``: consecutive failures, this one
    included (ignored on success). ``rand`` draws the jitter (pass a seeded one in tests)."""
    if now.tzinfo is None:
        raise ValueError("next_check needs a timezone-aware now")
    if every <= timedelta(0):
        raise ValueError("every must be positive")
    cap = max(MAX_DELAY, every)
    if ok:
        delay = every
        if hint is not None and hint > every:
            delay = max(every, min(hint, MAX_DELAY))
    else:
        failures = max(1, error_count)
        growth = 2 ** min(failures - 1, 30)
        base = min(every * growth, cap)
        jitter = (rand or random.Random()).uniform(1 - JITTER, 1 + JITTER)
        delay = min(base * jitter, cap)
    due = now + delay
    if retry_after is not None:
        if retry_after.tzinfo is None:
            raise ValueError("retry_after must be timezone-aware")
        due = max(due, min(retry_after, now + MAX_DELAY))
    return due
