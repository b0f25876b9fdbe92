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
``flock``) is never repaired.
"""

from __future__ import annotations

import base64
import contextlib
import fcntl
import hashlib
import io
import mmap
import os
import re
import threading
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urlsplit

from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from archiver.errors import StoreError

GIB = 1 << 30
SUFFIX = ".warc.gz"
_GZIP_MAGIC = b"\x1f\x8b\x08"
_CHUNK = 1 << 20
_PREFIX_OK = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_HOP_HEADERS = ("content-encoding", "transfer-encoding", "content-length")
_REF_FILE = "X-Archiver-Refers-To-File"
_REF_OFFSET = "X-Archiver-Refers-To-Offset"
_REF_LENGTH = "X-Archiver-Refers-To-Length"
_SOURCE = "X-Archiver-Source"


@dataclass(frozen=True, slots=True)
class CaptureRef:
    """Where one response (or revisit) record lies: store these six in the revision row."""

    file: str  # file name relative to the captures root
    offset: int  # byte offset of the record's gzip member
    length: int  # bytes of that member
    record_id: str  # WARC-Record-ID, "<urn:uuid:...>"
    payload_digest: str  # WARC-Payload-Digest of the body, "sha1:<base32>"
    revisit: bool = False  # a revisit record: the body lives in the record it refers to


@dataclass(frozen=True, slots=True)
class CapturedResponse:
    url: str
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    fetched_at: datetime
    source: str | None = None  # the archiver source that fetched it (X-Archiver-Source)


def payload_digest(body: bytes) -> str:
    """The WARC payload digest warcio writes: ``sha1:`` + base32 of the SHA-1."""
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


def _warc_date(when: datetime) -> str:
    aware = when if when.tzinfo else when.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse_date(text: str | None) -> datetime:
    if not text:
        return datetime.fromtimestamp(0, UTC)
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _response_headers(headers: Sequence[tuple[str, str]], length: int) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for name, value in headers:
        if name.lower() in _HOP_HEADERS:
            out.append((f"X-Archiver-Original-{name}", value))
        else:
            out.append((name, value))
    out.append(("Content-Length", str(length)))
    return out


class WarcWriter:
    """Appends captures to rotating gzip WARC files under ``root``. Thread-safe."""

    def __init__(self, root: Path, *, max_bytes: int = GIB, prefix: str = "archiver") -> None:
        if not _PREFIX_OK.match(prefix):
            raise ValueError(f"bad WARC file prefix {prefix!r}: letters, digits, _ . - only")
        self.root = Path(root)
        self.max_bytes = max_bytes
        self.prefix = prefix
        self._lock = threading.Lock()
        self._file: BinaryIO | None = None
        self._name = ""
        self._seq = 0

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
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        writer = WARCWriter(handle, gzip=True, warc_version="1.1")
        info = {"software": "archiver", "format": "WARC File Format 1.1"}
        writer.write_record(writer.create_warcinfo_record(name, info))
        handle.flush()
        os.fsync(handle.fileno())
        _fsync_dir(self.root)
        self._file, self._name = handle, name
        return handle

    def _current(self) -> BinaryIO:
        if self._file is not None and self._file.tell() >= self.max_bytes:
            self._close_file()
        return self._file if self._file is not None else self._open_new()

    def _close_file(self) -> None:
        if self._file is not None:
            try:
                self._file.close()  # closing releases the flock
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
    ) -> CaptureRef:
        """Write one capture and fsync it; return where its response/revisit record is.

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
        extra = {_SOURCE: source} if source else {}
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
                os.fsync(handle.fileno())
            except OSError as exc:
                self._abandon(handle, start)
                raise StoreError(f"cannot write capture to {self._name}: {exc}") from exc
            return ref

    def _abandon(self, handle: BinaryIO, start: int) -> None:
        with contextlib.suppress(OSError):  # else readers skip it and repair_tail cuts it
            handle.truncate(start)
        self._close_file()

    def _write_one(self, handle: BinaryIO, record: ArcWarcRecord) -> tuple[int, int]:
        offset = handle.tell()
        WARCWriter(handle, gzip=True, warc_version="1.1").write_record(record)
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
        date = _warc_date(fetched_at)
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
            original = _original_ref(self.root, previous)
            orig_record = _load_record(self.root, original)
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
                "WARC-Date": _warc_date(fetched_at),
                "WARC-Refers-To": original.record_id,
                _REF_FILE: original.file,
                _REF_OFFSET: str(original.offset),
                _REF_LENGTH: str(original.length),
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


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# --------------------------------------------------------------------------- reading


def _safe_path(root: Path, name: str) -> Path:
    if not name or Path(name).name != name or name in (".", ".."):
        raise StoreError(f"bad capture file name {name!r}")
    return Path(root) / name


def _parse_member(data: bytes) -> ArcWarcRecord:
    """The one WARC record in a decompressed member (its payload stream still readable)."""
    if not data.startswith(b"WARC/"):
        raise StoreError("not a WARC record")
    for record in ArchiveIterator(io.BytesIO(data), arc2warc=False):
        return record
    raise StoreError("empty WARC record")


def _load_record(root: Path, ref: CaptureRef) -> ArcWarcRecord:
    path = _safe_path(root, ref.file)
    try:
        with open(path, "rb") as handle:
            handle.seek(ref.offset)
            raw = handle.read(ref.length)
    except OSError as exc:
        raise StoreError(f"cannot read capture {ref.file}@{ref.offset}: {exc}") from exc
    inflater = zlib.decompressobj(wbits=31)
    try:
        data = inflater.decompress(raw)
    except zlib.error as exc:
        raise StoreError(f"corrupt capture {ref.file}@{ref.offset}: {exc}") from exc
    if not inflater.eof:
        raise StoreError(f"truncated capture {ref.file}@{ref.offset}")
    record = _parse_member(data)
    if record.rec_headers.get_header("WARC-Record-ID") != ref.record_id:
        raise StoreError(f"capture {ref.file}@{ref.offset} is not record {ref.record_id}")
    return record


def _original_ref(root: Path, ref: CaptureRef) -> CaptureRef:
    """For a revisit ref, the response record it refers to; otherwise ``ref`` itself."""
    if not ref.revisit:
        return ref
    return _referred(_load_record(root, ref), ref.payload_digest)


def _referred(record: ArcWarcRecord, digest: str) -> CaptureRef:
    headers = record.rec_headers
    try:
        return CaptureRef(
            file=headers.get_header(_REF_FILE) or "",
            offset=int(headers.get_header(_REF_OFFSET) or ""),
            length=int(headers.get_header(_REF_LENGTH) or ""),
            record_id=headers.get_header("WARC-Refers-To") or "",
            payload_digest=digest,
        )
    except ValueError as exc:
        raise StoreError("revisit record without a usable reference") from exc


def _response(root: Path, record: ArcWarcRecord) -> CapturedResponse:
    http = record.http_headers
    status = int((http.get_statuscode() if http else "0") or 0)
    headers = tuple((str(k), str(v)) for k, v in (http.headers if http else []))
    if record.rec_type == "revisit":
        digest = record.rec_headers.get_header("WARC-Payload-Digest") or ""
        body = _load_record(root, _referred(record, digest)).raw_stream.read()
    else:
        body = record.raw_stream.read()
    return CapturedResponse(
        url=record.rec_headers.get_header("WARC-Target-URI") or "",
        status=status,
        headers=headers,
        body=body,
        fetched_at=_parse_date(record.rec_headers.get_header("WARC-Date")),
        source=record.rec_headers.get_header(_SOURCE),
    )


def read_capture(root: Path, ref: CaptureRef) -> CapturedResponse:
    """The response a ``CaptureRef`` points at (a revisit's body from the record it refers
    to; its status, headers and date are its own). Raises ``StoreError``."""
    record = _load_record(Path(root), ref)
    if record.rec_type not in ("response", "revisit"):
        raise StoreError(f"capture {ref.file}@{ref.offset} is a {record.rec_type} record")
    return _response(Path(root), record)


def _inflate_member(view: mmap.mmap, pos: int) -> tuple[int, bytes] | None:
    """(end, data) of the complete gzip member starting at ``pos``, or None."""
    inflater = zlib.decompressobj(wbits=31)
    parts: list[bytes] = []
    cursor = pos
    try:
        while cursor < len(view):
            chunk = view[cursor : cursor + _CHUNK]
            parts.append(inflater.decompress(chunk))
            if inflater.eof:
                return cursor + len(chunk) - len(inflater.unused_data), b"".join(parts)
            cursor += len(chunk)
    except zlib.error:
        return None
    return None


def _members(path: Path) -> Iterator[tuple[int, int, bytes]]:
    """(offset, length, data) of every complete gzip member; torn or corrupt bytes skipped."""
    with open(path, "rb") as handle:
        if os.fstat(handle.fileno()).st_size == 0:
            return
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as view:
            pos = 0
            while pos < len(view):
                found = _inflate_member(view, pos)
                if found is None:
                    pos = view.find(_GZIP_MAGIC, pos + 1)  # resync after damage
                    if pos < 0:
                        return
                    continue
                end, data = found
                yield pos, end - pos, data
                pos = end


def capture_files(root: Path) -> list[Path]:
    """The WARC files under ``root``, oldest first (names sort by creation time)."""
    return sorted(p for p in Path(root).glob(f"*{SUFFIX}") if p.is_file())


def iter_captures(root: Path) -> Iterator[tuple[CaptureRef, CapturedResponse]]:
    """Every response and revisit record under ``root``, file by file, in write order.

    Torn tails and damaged members are skipped, never raised. For ``archiver reextract``.
    """
    root = Path(root)
    for path in capture_files(root):
        try:
            yield from _iter_file(root, path)
        except OSError:
            continue  # a file removed or unreadable meanwhile


def _iter_file(root: Path, path: Path) -> Iterator[tuple[CaptureRef, CapturedResponse]]:
    for offset, length, data in _members(path):
        try:
            record = _parse_member(data)
            if record.rec_type not in ("response", "revisit"):
                continue
            response = _response(root, record)
        except (StoreError, ValueError, KeyError):
            continue
        ref = CaptureRef(
            file=path.name,
            offset=offset,
            length=length,
            record_id=record.rec_headers.get_header("WARC-Record-ID") or "",
            payload_digest=record.rec_headers.get_header("WARC-Payload-Digest") or "",
            revisit=record.rec_type == "revisit",
        )
        yield ref, response


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
        for offset, length, _ in _members(path):
            end = offset + length
        if end >= size:
            return 0
        handle.truncate(end)
        handle.flush()
        os.fsync(handle.fileno())
        return size - end


def repair_tails(root: Path) -> int:
    """``repair_tail`` on every WARC file under ``root`` (call once at start-up).

    A file that cannot be opened for writing (read-only, vanished) is skipped."""
    dropped = 0
    for path in capture_files(root):
        with contextlib.suppress(OSError):
            dropped += repair_tail(path)
    return dropped
