"""The progress bar of ``archiver reextract`` on a terminal: captures done of (about) the
total, the rate in captures/s and the time left, from the bytes of WARC read so far."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn


def describe(done: int, read: int, total: int, elapsed: float) -> str:
    """``"1,200 of ~5,000 captures, 85.3/s"``: the total is estimated from the bytes read."""
    estimate = round(done * total / read) if read and total and done else None
    of = f" of ~{max(estimate, done):,}" if estimate else ""
    rate = f", {done / elapsed:.1f}/s" if elapsed > 0 and done else ""
    return f"{done:,}{of} captures{rate}"


@contextmanager
def reextract_bar(total_bytes: int) -> Iterator[Callable[[int, int], None]]:
    """A rich bar over the bytes of the captures; yields the ``progress(bytes, done)`` hook."""
    columns = (
        TextColumn("re-extracting"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[records]}"),
        TimeRemainingColumn(),
    )
    started = time.monotonic()
    read = 0
    with Progress(*columns, transient=True) as bar:
        task = bar.add_task("re-extracting", total=total_bytes or None, records="")

        def progress(nbytes: int, done: int) -> None:
            nonlocal read
            read += nbytes
            text = describe(done, read, total_bytes, time.monotonic() - started)
            bar.update(task, advance=nbytes, records=text)

        yield progress
