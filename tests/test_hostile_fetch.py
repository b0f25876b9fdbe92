"""Issue 16, fetching: multi-member gzip stays bounded, and get() raises only FetchError."""

from __future__ import annotations

import gzip
import hashlib
import tracemalloc

import pytest

from archiver.errors import FetchError, TooLarge
from archiver.fetch.codings import ZlibReader, decoding_reader

from servers import MiB, Server, encoded, fetcher, ok, redirect


class _Bytes:
    """A reader over bytes, at most ``n`` at a time."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pulled = 0

    def read(self, n: int) -> bytes:
        out, self.data = self.data[:n], self.data[n:]
        self.pulled += len(out)
        return out


def test_every_gzip_member_is_decoded_once() -> None:
    members = [gzip.compress(bytes([i % 256]) * 70_000) for i in range(300)]
    raw = _Bytes(b"".join(members) + b"\0" * 7)  # zero padding after the last member too
    reader = ZlibReader(raw, "gzip")
    digest, size = hashlib.sha256(), 0
    tracemalloc.start()
    while piece := reader.read(64 * 1024):
        digest.update(piece)
        size += len(piece)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    expected = hashlib.sha256(b"".join(bytes([i % 256]) * 70_000 for i in range(300)))
    assert size == 300 * 70_000
    assert digest.hexdigest() == expected.hexdigest()
    assert reader.members == 300
    assert peak < 1024 * 1024  # pending input stays one chunk, never doubles


def test_the_deadline_is_checked_inside_one_read() -> None:
    calls = 0

    def check() -> None:
        nonlocal calls
        calls += 1
        if calls > 50:
            raise TimeoutError("deadline")

    empty = gzip.compress(b"") * 20_000  # members that yield nothing: one read() spans them
    reader = decoding_reader(_Bytes(empty), "gzip", check)
    with pytest.raises(TimeoutError):
        reader.read(64 * 1024)
    assert calls == 51


def test_300_gzip_members_stop_at_the_cap_in_a_real_fetch() -> None:
    body = gzip.compress(b"\0" * 70_000) * 300  # 30.9 KB on the wire, 21 MB decoded
    with Server({"/": encoded(body, "gzip")}) as server, fetcher(max_bytes=MiB) as f:
        tracemalloc.start()
        with pytest.raises(TooLarge, match="larger than 1 MiB"):
            f.get(server.url("/"))
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert peak < 8 * MiB


def test_a_two_member_gzip_body_is_read_in_full() -> None:
    body = gzip.compress(b"<urlset>") + gzip.compress(b"</urlset>")
    with Server({"/": encoded(body, "gzip")}) as server, fetcher() as f:
        assert f.get(server.url("/")).content == b"<urlset></urlset>"


BAD_TARGETS = [
    "data:,x",
    "mailto:someone@example.org",
    "about:blank",
    "http:foo",
    "javascript:alert(1)",
    "http://xn--a.example/",
    "http://127.0.0.1:99999/",
    "http://[::1/",
    "http://%zz/",
]


@pytest.mark.parametrize("target", BAD_TARGETS)
def test_a_bad_url_raises_a_fetch_error(target: str) -> None:
    with fetcher() as f, pytest.raises(FetchError):
        f.get(target)


@pytest.mark.parametrize("target", BAD_TARGETS)
def test_a_redirect_to_a_bad_url_raises_a_fetch_error(target: str) -> None:
    with (
        Server({"/": redirect(target)}) as server,
        fetcher(retries=0) as f,
        pytest.raises(FetchError) as info,
    ):
        f.get(server.url("/"))
    assert info.value.requests  # the hop is in the fetch log


def test_four_content_encodings_raise_a_fetch_error() -> None:
    body = gzip.compress(gzip.compress(gzip.compress(gzip.compress(b"x"))))
    with (
        Server({"/": encoded(body, "gzip, gzip, gzip, gzip")}) as server,
        fetcher() as f,
        pytest.raises(FetchError, match="too many content encodings"),
    ):
        f.get(server.url("/"))


def test_good_urls_still_fetch() -> None:
    with Server({"/a": ok(b"fine")}) as server, fetcher() as f:
        assert f.get(server.url("/a")).content == b"fine"
