"""Content-Encoding decoders that never produce more than they are asked for.

httpx decodes a whole network chunk at once: 64 KiB of a gzip or brotli bomb can become
gigabytes in one call. Here every layer is a reader whose ``read(n)`` returns at most about
``n`` bytes (b"" at the end), pulling compressed input only as needed, so the byte cap is
checked after every small step and memory stays flat. Layers stack for a double encoding
(``Content-Encoding: gzip, br`` is read as br first, then gzip).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator
from typing import IO, Protocol, cast

import brotli
import zstandard

CHUNK = 64 * 1024
MAX_LAYERS = 3


class DecodeError(Exception):
    """The body is not valid for its Content-Encoding."""


class Reader(Protocol):
    def read(self, n: int) -> bytes: ...


class RawReader:
    """Network chunks as a reader; ``on_chunk`` sees each chunk's size (cap and deadline)."""

    def __init__(self, chunks: Iterator[bytes], on_chunk: Callable[[int], None]) -> None:
        self._chunks = chunks
        self._on_chunk = on_chunk
        self._buffer = b""

    def read(self, n: int) -> bytes:
        while not self._buffer:
            chunk = next(self._chunks, None)
            if chunk is None:
                return b""
            self._on_chunk(len(chunk))
            self._buffer = chunk
        out, self._buffer = self._buffer[:n], self._buffer[n:]
        return out


class ZlibReader:
    """gzip (several members allowed) or deflate (zlib-wrapped or raw, as servers vary).

    Input not yet consumed is kept once, in ``_pending``: at the end of a gzip member
    CPython leaves the rest of the input in ``unused_data`` (and may leave it in
    ``unconsumed_tail`` too), so only ``unused_data`` is carried into the next member.
    Every step consumes input or yields output, and ``check`` runs at each step (deadline).
    """

    def __init__(
        self, upstream: Reader, coding: str, check: Callable[[], None] | None = None
    ) -> None:
        self._up = upstream
        self._gzip = coding in ("gzip", "x-gzip")
        self._d = zlib.decompressobj(31 if self._gzip else 15)
        self._check = check
        self._pending = b""
        self._between = False  # a gzip member ended; the next one has not started
        self._started = False
        self._ended = False
        self.members = 0

    def read(self, n: int) -> bytes:
        while not self._ended:
            if self._check is not None:
                self._check()
            if not self._pending:
                self._pending = self._up.read(CHUNK)
                if not self._pending:
                    self._ended = True
                    return b"" if self._between else self._d.flush()
            if self._between:
                self._pending = self._pending.lstrip(b"\0")  # padding after a member
                if not self._pending:
                    continue
                self._d = zlib.decompressobj(31)  # the next gzip member
                self._between = False
            data, self._pending = self._pending, b""
            try:
                out = self._d.decompress(data, n)
            except zlib.error as exc:
                if self._gzip or self._started:
                    raise DecodeError(f"bad {'gzip' if self._gzip else 'deflate'} body") from exc
                self._d = zlib.decompressobj(-15)  # raw deflate, no zlib header
                out = self._retry_raw(data, n)
            self._started = True
            if self._d.eof:
                self.members += 1
                if self._gzip:
                    self._pending = self._d.unused_data
                    self._between = True
                else:
                    self._ended = True
            else:
                self._pending = self._d.unconsumed_tail
            if out:
                return out
        return b""

    def _retry_raw(self, data: bytes, n: int) -> bytes:
        try:
            return self._d.decompress(data, n)
        except zlib.error as exc:
            raise DecodeError("bad deflate body") from exc


class BrotliReader:
    def __init__(self, upstream: Reader) -> None:
        self._up = upstream
        self._d = brotli.Decompressor()

    def read(self, n: int) -> bytes:
        while True:
            try:
                if not self._d.can_accept_more_data():
                    out = bytes(self._d.process(b"", output_buffer_limit=n))
                elif self._d.is_finished():
                    return b""
                else:
                    data = self._up.read(CHUNK)
                    if not data:
                        raise DecodeError("brotli body cut short")
                    out = self._d.process(data, output_buffer_limit=n)
            except brotli.error as exc:
                raise DecodeError("bad brotli body") from exc
            if out:
                return out


class ZstdReader:
    def __init__(self, upstream: Reader) -> None:
        self._r = zstandard.ZstdDecompressor().stream_reader(
            cast(IO[bytes], _FileLike(upstream)), read_size=CHUNK, read_across_frames=True
        )

    def read(self, n: int) -> bytes:
        try:
            return self._r.read(n)
        except zstandard.ZstdError as exc:
            raise DecodeError("bad zstd body") from exc


class _FileLike:
    """The minimum of a binary file zstandard's stream reader asks of its source."""

    def __init__(self, reader: Reader) -> None:
        self._reader = reader

    def read(self, n: int = CHUNK) -> bytes:
        return self._reader.read(n if n and n > 0 else CHUNK)


def codings(header: str | None) -> list[str]:
    """The Content-Encoding tokens in the order they were applied (identity dropped)."""
    if not header:
        return []
    tokens = [t.strip().lower() for t in header.split(",")]
    return [t for t in tokens if t and t != "identity"]


def decoding_reader(
    raw: Reader, header: str | None, check: Callable[[], None] | None = None
) -> Reader:
    """A reader of the decoded body; unknown codings are passed through, as httpx does.
    ``check`` (deadline, stop) runs at every step inside a read, not only between reads."""
    applied = codings(header)
    if len(applied) > MAX_LAYERS:
        raise DecodeError(f"too many content encodings ({len(applied)})")
    reader = raw
    for coding in reversed(applied):
        if coding in ("gzip", "x-gzip", "deflate"):
            reader = ZlibReader(reader, coding, check)
        elif coding == "br":
            reader = BrotliReader(reader)
        elif coding == "zstd":
            reader = ZstdReader(reader)
    return reader


def is_identity(header: str | None) -> bool:
    """True when the body needs no decoding (so Content-Length is the decoded size)."""
    return not codings(header)
