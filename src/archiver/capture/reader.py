"""Reading captures back: one record by its CaptureRef, or every record of every file."""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from pathlib import Path

from warcio.recordloader import ArcWarcRecord

from archiver.capture.warcfile import (
    REF_FILE,
    REF_LENGTH,
    REF_OFFSET,
    SOURCE_HEADER,
    CapturedResponse,
    capture_files,
    members,
    parse_member,
    parse_warc_date,
    safe_path,
)
from archiver.errors import StoreError
from archiver.models import CaptureRef


def load_record(root: Path, ref: CaptureRef) -> ArcWarcRecord:
    path = safe_path(root, ref.file)
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
    record = parse_member(data)
    if record.rec_headers.get_header("WARC-Record-ID") != ref.record_id:
        raise StoreError(f"capture {ref.file}@{ref.offset} is not record {ref.record_id}")
    return record


def original_ref(root: Path, ref: CaptureRef) -> CaptureRef:
    """For a revisit ref, the response record it refers to; otherwise ``ref`` itself."""
    if not ref.revisit:
        return ref
    return _referred(load_record(root, ref), ref.payload_digest)


def _referred(record: ArcWarcRecord, digest: str) -> CaptureRef:
    headers = record.rec_headers
    try:
        return CaptureRef(
            file=headers.get_header(REF_FILE) or "",
            offset=int(headers.get_header(REF_OFFSET) or ""),
            length=int(headers.get_header(REF_LENGTH) or ""),
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
        body = load_record(root, _referred(record, digest)).raw_stream.read()
    else:
        body = record.raw_stream.read()
    return CapturedResponse(
        url=record.rec_headers.get_header("WARC-Target-URI") or "",
        status=status,
        headers=headers,
        body=body,
        fetched_at=parse_warc_date(record.rec_headers.get_header("WARC-Date")),
        source=record.rec_headers.get_header(SOURCE_HEADER),
    )


def read_capture(root: Path, ref: CaptureRef) -> CapturedResponse:
    """The response a ``CaptureRef`` points at (a revisit's body from the record it refers
    to; its status, headers and date are its own). Raises ``StoreError``."""
    record = load_record(Path(root), ref)
    if record.rec_type not in ("response", "revisit"):
        raise StoreError(f"capture {ref.file}@{ref.offset} is a {record.rec_type} record")
    return _response(Path(root), record)


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
    for offset, length, data in members(path):
        try:
            record = parse_member(data)
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
