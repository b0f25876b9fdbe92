"""Signals a long-running command honours: a handler that sets a stop event, then restores.

Python runs signal handlers in the main thread between bytecodes, so a handler only sets
an ``Event`` (and, for the daemon, asks the scheduler to stop or reload); the workers look at
the event between steps and every wait of the Fetcher ends when it is set.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from types import FrameType

Handler = Callable[[int, FrameType | None], None]


def name_of(signum: int | None) -> str | None:
    return signal.Signals(signum).name if signum else None


@contextmanager
def handling(handlers: dict[int, Handler]) -> Iterator[None]:
    """Install ``handlers`` (signal number -> handler) for the block; restore the old ones.
    Outside the main thread (a test driving a poll from a thread) nothing is installed."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    old = {signum: signal.signal(signum, handler) for signum, handler in handlers.items()}
    try:
        yield
    finally:
        for signum, previous in old.items():
            signal.signal(signum, previous)


@contextmanager
def stop_on(
    stop: threading.Event,
    signums: Sequence[int] = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP),
    on_signal: Callable[[int], None] | None = None,
) -> Iterator[None]:
    """Set ``stop`` on any of ``signums`` (Ctrl-C, kill, a dropped terminal) for the block."""

    def handler(signum: int, _frame: FrameType | None) -> None:
        first = not stop.is_set()
        stop.set()
        if first and on_signal is not None:
            on_signal(signum)

    with handling(dict.fromkeys(signums, handler)):
        yield
