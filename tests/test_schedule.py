"""next_check: a pure function of interval, outcome and now (fixed datetimes only)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from archiver.poll.schedule import next_check

NOW = datetime(2026, 1, 30, 12, 0, tzinfo=UTC)
EVERY = timedelta(minutes=5)
DAY = timedelta(hours=24)


def rng() -> random.Random:
    return random.Random(7)


def test_success_waits_the_interval() -> None:
    assert next_check(now=NOW, every=EVERY, ok=True, error_count=0) == NOW + EVERY


def test_success_is_stretched_by_a_longer_hint_only() -> None:
    hour = timedelta(hours=1)
    assert next_check(now=NOW, every=EVERY, ok=True, error_count=0, hint=hour) == NOW + hour
    short = timedelta(minutes=1)
    assert next_check(now=NOW, every=EVERY, ok=True, error_count=0, hint=short) == NOW + EVERY


def test_hint_is_capped_at_a_day() -> None:
    year = timedelta(days=365)
    assert next_check(now=NOW, every=EVERY, ok=True, error_count=0, hint=year) == NOW + DAY


def test_success_after_failures_resets_the_backoff() -> None:
    assert next_check(now=NOW, every=EVERY, ok=True, error_count=7) == NOW + EVERY


@pytest.mark.parametrize("failures", [1, 2, 3, 4, 5, 6])
def test_failure_backoff_doubles_within_jitter(failures: int) -> None:
    due = next_check(now=NOW, every=EVERY, ok=False, error_count=failures, rand=rng())
    base = EVERY * 2 ** (failures - 1)
    assert base * 0.9 <= due - NOW <= base * 1.1


def test_backoff_grows_with_consecutive_failures() -> None:
    delays = [
        next_check(now=NOW, every=EVERY, ok=False, error_count=n, rand=rng()) - NOW
        for n in range(1, 10)
    ]
    assert delays == sorted(delays)
    assert delays[-1] > delays[0] * 100


@pytest.mark.parametrize("failures", [10, 20, 1000])
def test_backoff_is_capped_at_a_day(failures: int) -> None:
    for seed in range(20):
        due = next_check(
            now=NOW, every=EVERY, ok=False, error_count=failures, rand=random.Random(seed)
        )
        assert DAY * 0.9 <= due - NOW <= DAY


def test_jitter_spreads_failing_sources() -> None:
    dues = {
        next_check(now=NOW, every=EVERY, ok=False, error_count=3, rand=random.Random(seed))
        for seed in range(10)
    }
    assert len(dues) > 1


def test_never_earlier_than_retry_after() -> None:
    later = NOW + timedelta(hours=2)
    due = next_check(now=NOW, every=EVERY, ok=False, error_count=1, retry_after=later, rand=rng())
    assert due == later
    soon = NOW + timedelta(seconds=30)
    due = next_check(now=NOW, every=EVERY, ok=False, error_count=1, retry_after=soon, rand=rng())
    assert due - NOW >= EVERY * 0.9


def test_retry_after_is_capped_at_a_day() -> None:
    far = NOW + timedelta(days=30)
    assert next_check(now=NOW, every=EVERY, ok=False, error_count=1, retry_after=far) <= NOW + DAY


def test_an_interval_longer_than_a_day_is_kept_on_failure() -> None:
    week = timedelta(days=7)
    due = next_check(now=NOW, every=week, ok=False, error_count=3, rand=rng())
    assert due - NOW <= week
    assert due - NOW >= week * 0.9


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError):
        next_check(now=datetime(2026, 1, 30, 12, 0), every=EVERY, ok=True, error_count=0)
