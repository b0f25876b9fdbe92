"""Start-up repair: cut a torn record (a crash mid-write) off the end of a WARC file."""

from __future__ import annotations

import contextlib
import fcntl
import os
import stat
from pathlib import Path

from archiver.capture.warcfile import capture_files, members


def repair_tail(path: Path) -> int:
    """Cut a torn record off the end of a WARC file; return the bytes dropped.

    The file is truncated to the end of its last complete gzip member. A file held by a live
    ``WarcWriter`` (its ``flock``) is left alone and 0 returned.
    """
    path = Path(path)
    with open(path, "r+b") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return 0
        size = os.fstat(handle.fileno()).st_size
        end = 0
        for offset, length, _ in members(path):
            end = offset + length
        if end >= size:
            return 0
        handle.truncate(end)
        handle.flush()
        os.fsync(handle.fileno())
        return size - end


def repair_tails(root: Path) -> int:
    """``repair_tail`` on every WARC file under ``root`` (call once at start-up).

    Only files not closed cleanly are read: a writer makes a file read-only when it closes
    it (rotation, shutdown), so after months of captures start-up inflates one or two files,
    not all. A file that cannot be opened for writing (vanished) is skipped."""
    dropped = 0
    for path in capture_files(root):
        with contextlib.suppress(OSError):
            if not os.stat(path).st_mode & stat.S_IWUSR:
                continue  # closed cleanly
            dropped += repair_tail(path)
    return dropped
