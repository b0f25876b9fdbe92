"""What the WARC writer and readers share: names, headers, digests, gzip members one at a time."""

from __future__ import annotations

import base64
import hashlib
import io
import mmap
import os
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator
from warcio.recordloader import ArcWarcRecord

from archiver.errors import StoreError

GIB = 1 << 30
SUFFIX = ".warc.gz"
GZIP_MAGIC = b"\x1f\x8b\x08"
CHUNK = 1 << 20
PREFIX_OK = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
HOP_HEADERS = ("content-encoding", "transfer-encoding", "content-length")
REF_FILE = "X-Archiver-Refers-To-File"
REF_OFFSET = "X-Archiver-Refers-To-Offset"
REF_LENGTH = "X-Archiver-Refers-To-Length"
SOURCE_HEADER = "X-Archiver-Source"


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


def warc_date(when: datetime) -> str:
    aware = when if when.tzinfo else when.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_warc_date(text: str | None) -> datetime:
    if not text:
        return datetime.fromtimestamp(0, UTC)
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def safe_path(root: Path, name: str) -> Path:
    if not name or Path(name).name != name or name in (".", ".."):
        raise StoreError(f"bad capture file name {name!r}")
    return Path(root) / name


def parse_member(data: bytes) -> ArcWarcRecord:
    """The one WARC record in a decompressed member (its payload stream still readable)."""
    if not data.startswith(b"WARC/"):
        raise StoreError("not a WARC record")
    for record in ArchiveIterator(io.BytesIO(data), arc2warc=False):
        return record
    raise StoreError("empty WARC record")


def inflate_member(view: mmap.mmap, pos: int) -> tuple[int, bytes] | None:
    """(end, data) of the complete gzip member starting at ``pos``, or None."""
    inflater = zlib.decompressobj(wbits=31)
    parts: list[bytes] = []
    cursor = pos
    try:
        while cursor < len(view):
            chunk = view[cursor : cursor + CHUNK]
            parts.append(inflater.decompress(chunk))
            if inflater.eof:
                return cursor + len(chunk) - len(inflater.unused_data), b"".join(parts)
            cursor += len(chunk)
    except zlib.error:
        return None
    return None


def members(path: Path) -> Iterator[tuple[int, int, bytes]]:
    """(offset, length, data) of every complete gzip member; torn or corrupt bytes skipped."""
    with open(path, "rb") as handle:
        if os.fstat(handle.fileno()).st_size == 0:
            return
        with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as view:
            pos = 0
            while pos < len(view):
                found = inflate_member(view, pos)
                if found is None:
                    pos = view.find(GZIP_MAGIC, pos + 1)  # resync after damage
                    if pos < 0:
                        return
                    continue
                end, data = found
                yield pos, end - pos, data
                pos = end


def capture_files(root: Path) -> list[Path]:
    """The WARC files under ``root``, oldest first (names sort by creation time)."""
    return sorted(p for p in Path(root).glob(f"*{SUFFIX}") if p.is_file())
