"""WarcWriter: request + response (or revisit) records appended to rotating gzip WARC files.

A record is on disk (fsynced) before any row points at it. ``write()`` fsyncs each record
unless told ``sync=False``; then ``durable(ref)`` must be called before the row that points
at ``ref`` commits. It fsyncs the file once for every record written so far, so the
records that fetching threads wrote ahead of the rows being filed cost one fsync between
them, not one each (a file is fsynced when it is rotated or closed, too).
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import os
import threading
import zlib
from collections.abc import Sequence
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

from isal import isal_zlib
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archiver.capture.reader import load_record, original_ref
from archiver.capture.warcfile import (
    GIB,
    HOP_HEADERS,
    PREFIX_OK,
    REF_FILE,
    REF_LENGTH,
    REF_OFFSET,
    SOURCE_HEADER,
    SUFFIX,
    fsync_dir,
    payload_digest,
    warc_date,
)
from archiver.errors import StoreError
from archiver.models import CaptureRef

CLOSED_MODE = 0o444  # a file closed cleanly: read-only, so start-up repair skips it
# ISA-L's deflate (isal), its highest level: on the corpus pages 0.76 ms a page where zlib's
# level 6 took 4.6 (the largest share of the polling process's CPU per article), for
# captures 0.213 of the HTML bytes against 0.191 (zlib's level 3: 0.214, 2.3 ms); any gzip
# reader reads them
GZIP_LEVEL = isal_zlib.ISAL_BEST_COMPRESSION


class _Member:
    """One gzip member per record (what warcio writes), at ``GZIP_LEVEL``."""

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.compressor = isal_zlib.compressobj(GZIP_LEVEL, isal_zlib.DEFLATED, zlib.MAX_WBITS + 16)

    def write(self, data: bytes) -> None:
        self.out.write(self.compressor.compress(data))

    def flush(self) -> None:
        self.out.write(self.compressor.flush())


def _response_headers(headers: Sequence[tuple[str, str]], length: int) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for name, value in headers:
        if name.lower() in HOP_HEADERS:
            out.append((f"X-Archiver-Original-{name}", value))
        else:
            out.append((name, value))
    out.append(("Content-Length", str(length)))
    return out


class WarcWriter:
    """Appends captures to rotating gzip WARC files under ``root``. Thread-safe."""

    def __init__(self, root: Path, *, max_bytes: int = GIB, prefix: str = "archiver") -> None:
        if not PREFIX_OK.match(prefix):
            raise ValueError(f"bad WARC file prefix {prefix!r}: letters, digits, _ . - only")
        self.root = Path(root)
        self.max_bytes = max_bytes
        self.prefix = prefix
        self._lock = threading.Lock()
        self._file: BinaryIO | None = None
        self._name = ""
        self._seq = 0
        self._synced = 0  # bytes of the current file known to be on disk
        self._lost: set[str] = set()  # files closed after a failed write, not fsynced since
        self.fsyncs = 0  # record fsyncs done (for tests and benchmarks)

    # -- files

    def _open_new(self) -> BinaryIO:
        self.root.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        while True:
            self._seq += 1
            name = f"{self.prefix}-{stamp}-{self._seq:05d}{SUFFIX}"
            try:
                handle = open(self.root / name, "xb")  # noqa: SIM115 (kept open; "x": never overwrite)
            except FileExistsError:
                continue
            break
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            writer = WARCWriter(handle, gzip=True, warc_version="1.1")
            info = {"software": "archiver", "format": "WARC File Format 1.1"}
            writer.write_record(writer.create_warcinfo_record(name, info))
            handle.flush()
            os.fsync(handle.fileno())
            fsync_dir(self.root)
        except OSError as exc:  # a full disk: no empty file left behind per try
            handle.close()
            with contextlib.suppress(OSError):
                os.unlink(self.root / name)
            raise StoreError(f"cannot start a capture file in {self.root}: {exc}") from exc
        self._file, self._name = handle, name
        self._synced = handle.tell()
        return handle

    def _current(self) -> BinaryIO:
        if self._file is not None and self._file.tell() >= self.max_bytes:
            self._close_file()
        return self._file if self._file is not None else self._open_new()

    def _close_file(self, *, clean: bool = True) -> None:
        """Close the current file, fsynced (records written without ``sync`` are on disk
        once it is closed); a clean close makes it read-only, which tells start-up repair
        (``repair_tails``) that it needs no check."""
        if self._file is not None:
            try:
                try:
                    self._sync_current()
                except OSError:
                    self._lost.add(self._name)
                    clean = False
                self._file.close()  # closing releases the flock
                if clean:
                    with contextlib.suppress(OSError):
                        os.chmod(self.root / self._name, CLOSED_MODE)
            finally:
                self._file = None

    def close(self) -> None:
        with self._lock:
            self._close_file()

    def __enter__(self) -> WarcWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- records

    def write(
        self,
        url: str,
        *,
        request_headers: Sequence[tuple[str, str]],
        status: int,
        response_headers: Sequence[tuple[str, str]],
        body: bytes,
        fetched_at: datetime,
        previous: CaptureRef | None = None,
        previous_digest: str | None = None,
        source: str | None = None,
        sync: bool = True,
    ) -> CaptureRef:
        """Write one capture and fsync it (``sync=False``: leave that to ``durable()``);
        return where its response/revisit record is.

        With ``previous`` (the last capture of this URL) and a body whose digest equals
        ``previous_digest`` (default ``previous.payload_digest``), a ``revisit`` record
        (profile identical-payload-digest, ``WARC-Refers-To`` the original response) is
        written instead of the pair. Raises ``StoreError`` when the disk write fails; the
        partial record is cut off and the next write starts a new file.
        """
        digest = payload_digest(body)
        expected = (
            previous_digest
            if previous_digest is not None
            else (previous.payload_digest if previous is not None else None)
        )
        extra = {SOURCE_HEADER: source} if source else {}
        with self._lock:
            handle = self._current()
            start = handle.tell()
            try:
                ref = None
                if previous is not None and expected == digest:
                    ref = self._try_revisit(
                        handle,
                        url,
                        status,
                        response_headers,
                        len(body),
                        fetched_at,
                        digest,
                        previous,
                        extra,
                    )
                if ref is None:
                    ref = self._write_pair(
                        handle,
                        url,
                        request_headers,
                        status,
                        response_headers,
                        body,
                        fetched_at,
                        digest,
                        extra,
                    )
                handle.flush()
                if sync:
                    self._sync_current()
            except OSError as exc:
                self._abandon(handle, start)
                raise StoreError(f"cannot write capture to {self._name}: {exc}") from exc
            return ref

    def durable(self, ref: CaptureRef) -> None:
        """Make sure the record ``ref`` is on disk: one fsync of its file covers every
        record written before it too. Raises ``StoreError`` when it cannot be (the row
        that would point at it must not commit)."""
        with self._lock:
            end = ref.offset + ref.length
            if ref.file in self._lost:
                raise StoreError(f"capture {ref.file}@{ref.offset} was not written to disk")
            if ref.file != self._name or self._file is None or end <= self._synced:
                return  # an earlier file: fsynced when it was closed
            try:
                self._sync_current()
            except OSError as exc:
                self._lost.add(self._name)
                self._close_file(clean=False)
                raise StoreError(f"cannot write capture to {ref.file}: {exc}") from exc

    def _sync_current(self) -> None:
        """fsync the current file if anything was written since the last time."""
        handle = self._file
        if handle is None:
            return
        handle.flush()
        end = handle.tell()
        if end > self._synced:
            os.fsync(handle.fileno())
            self.fsyncs += 1
            self._synced = end

    def _abandon(self, handle: BinaryIO, start: int) -> None:
        with contextlib.suppress(OSError):  # else readers skip it and repair_tail cuts it
            handle.truncate(start)
        # the records before ``start`` are fsynced on closing, or the file is marked lost
        self._close_file(clean=False)

    def _write_one(self, handle: BinaryIO, record: ArcWarcRecord) -> tuple[int, int]:
        offset = handle.tell()
        WARCWriter(_Member(handle), gzip=False, warc_version="1.1").write_record(record)
        return offset, handle.tell() - offset

    def _write_pair(
        self,
        handle: BinaryIO,
        url: str,
        request_headers: Sequence[tuple[str, str]],
        status: int,
        response_headers: Sequence[tuple[str, str]],
        body: bytes,
        fetched_at: datetime,
        digest: str,
        extra: dict[str, str],
    ) -> CaptureRef:
        builder = WARCWriter(None, gzip=True, warc_version="1.1")
        date = warc_date(fetched_at)
        response = builder.create_warc_record(
            url,
            "response",
            payload=io.BytesIO(body),
            length=len(body),
            warc_headers_dict={"WARC-Date": date, "WARC-Payload-Digest": digest, **extra},
            http_headers=StatusAndHeaders(
                f"{status} {_reason(status)}",
                _response_headers(response_headers, len(body)),
                protocol="HTTP/1.1",
            ),
        )
        record_id = response.rec_headers.get_header("WARC-Record-ID")
        parts = urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        req_headers = list(request_headers)
        if not any(name.lower() == "host" for name, _ in req_headers):
            req_headers.insert(0, ("Host", parts.netloc))
        request = builder.create_warc_record(
            url,
            "request",
            warc_headers_dict={"WARC-Date": date, "WARC-Concurrent-To": record_id},
            http_headers=StatusAndHeaders(
                f"GET {target} HTTP/1.1", req_headers, is_http_request=True
            ),
        )
        # request first: a crash tears the response, never leaves a response without request
        self._write_one(handle, request)
        offset, length = self._write_one(handle, response)
        return CaptureRef(self._name, offset, length, record_id, digest, revisit=False)

    def _try_revisit(
        self,
        handle: BinaryIO,
        url: str,
        status: int,
        response_headers: Sequence[tuple[str, str]],
        body_length: int,
        fetched_at: datetime,
        digest: str,
        previous: CaptureRef,
        extra: dict[str, str],
    ) -> CaptureRef | None:
        """A revisit record, or None when the earlier record cannot be read (then the
        caller writes the full pair: a revisit must point at a readable payload)."""
        try:
            original = original_ref(self.root, previous)
            orig_record = load_record(self.root, original)
        except StoreError:
            return None
        builder = WARCWriter(None, gzip=True, warc_version="1.1")
        record = builder.create_revisit_record(
            url,
            digest,
            orig_record.rec_headers.get_header("WARC-Target-URI"),
            orig_record.rec_headers.get_header("WARC-Date"),
            http_headers=StatusAndHeaders(
                f"{status} {_reason(status)}",
                _response_headers(response_headers, body_length),
                protocol="HTTP/1.1",
            ),
            warc_headers_dict={
                "WARC-Date": warc_date(fetched_at),
                "WARC-Refers-To": original.record_id,
                REF_FILE: original.file,
                REF_OFFSET: str(original.offset),
                REF_LENGTH: str(original.length),
                **extra,
            },
        )
        record_id = record.rec_headers.get_header("WARC-Record-ID")
        offset, length = self._write_one(handle, record)
        return CaptureRef(self._name, offset, length, record_id, digest, revisit=True)


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"
