"""Raw capture: every response the archive keeps, as records in rotating gzip WARC files.

``WarcWriter.write`` appends a request + response record pair (or one ``revisit`` record
when the payload is byte-identical to the previous capture of the URL), fsyncs, and returns
a ``CaptureRef`` (file, offset, length, record id, payload digest) for the caller to store
in the same transaction as the revision that points at it. Only after ``write`` returns may
that transaction commit: a row never points at bytes that are not on disk.

Each record is its own gzip member, so ``offset``/``length`` address exactly one record and
any record can be read without the rest of the file. Files are named
``<prefix>-<UTC time>-<sequence>.warc.gz`` and open with a ``warcinfo`` record; a new
writer (a new process) always starts a new file; a file is left for the next once it holds
``max_bytes`` (it may pass that by one record pair).

Bodies are stored decoded (``Fetched.content``): ``Content-Encoding``, ``Transfer-Encoding``
and ``Content-Length`` response headers are renamed ``X-Archiver-Original-...`` and a true
``Content-Length`` is written, so WARC tools replay the records correctly.

A crash mid-write leaves a torn record at the end of a file. Readers skip any bytes that do
not form a complete gzip member (``iter_captures`` never raises on them) and
``repair_tail``/``repair_tails`` cut them off at start-up; a file a live writer holds (an
``flock``) is never repaired, and a file closed cleanly (made read-only on close) is not read.
"""

from __future__ import annotations

from archiver.capture.reader import iter_captures, read_capture
from archiver.capture.repair import repair_tail, repair_tails
from archiver.capture.warcfile import CapturedResponse, capture_files, payload_digest
from archiver.capture.writer import WarcWriter
from archiver.models import CaptureRef

__all__ = [
    "CaptureRef",
    "CapturedResponse",
    "WarcWriter",
    "capture_files",
    "iter_captures",
    "payload_digest",
    "read_capture",
    "repair_tail",
    "repair_tails",
]
