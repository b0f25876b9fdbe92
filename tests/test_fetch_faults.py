"""RELIABILITY.md "Fetching": each broken or hostile server, a real one on 127.0.0.1."""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable

import pytest

from archiver.errors import (
    BadRedirect,
    ConnectFailed,
    FetchError,
    FetchTimeout,
    HTTPStatusError,
    TooLarge,
)

from servers import (
    Handler,
    MiB,
    Server,
    brotli_bomb,
    closed_port,
    deflate_bomb,
    double_bomb,
    drip,
    drip_headers,
    encoded,
    endless,
    fetcher,
    gzip_bomb,
    never_answer,
    ok,
    redirect,
    reset_mid_body,
    short_body,
    zstd_bomb,
)

TIMEOUT = 2.0
SLACK = 1.5  # "ended within the deadline plus a little"


def timed(call: Callable[[], object]) -> tuple[BaseException, float]:
    started = time.monotonic()
    with pytest.raises(FetchError) as info:
        call()
    return info.value, time.monotonic() - started


# -- no answer, slow answers ------------------------------------------------------------------


def test_server_that_accepts_and_never_answers_times_out_at_the_deadline() -> None:
    with Server({"/": never_answer}) as server, fetcher(timeout=TIMEOUT) as f:
        exc, took = timed(lambda: f.get(server.url("/")))
    assert isinstance(exc, FetchTimeout)
    assert took < TIMEOUT + SLACK
    assert len(exc.requests) == 1  # a timeout is not retried
    assert exc.requests[0].error is not None and "timed out" in exc.requests[0].error


def test_closed_port_is_a_connection_error_after_retries() -> None:
    url = f"http://127.0.0.1:{closed_port()}/feed"
    with fetcher(retries=2) as f, pytest.raises(ConnectFailed) as info:
        f.get(url)
    assert "could not connect" in str(info.value)
    assert len(info.value.requests) == 3  # first try and two retries
    assert all(r.status is None and r.error for r in info.value.requests)


def test_drip_of_one_byte_every_half_second_is_cut_at_the_deadline() -> None:
    with Server({"/": drip(0.5)}) as server, fetcher(timeout=TIMEOUT) as f:
        exc, took = timed(lambda: f.get(server.url("/")))
    assert isinstance(exc, FetchTimeout)
    assert took < TIMEOUT + SLACK
    assert exc.requests[0].status == 200  # it had started answering
    assert 0 < exc.requests[0].bytes < 10


def test_drip_of_the_headers_is_cut_at_the_deadline() -> None:
    with Server({"/": drip_headers(0.05)}) as server, fetcher(timeout=TIMEOUT) as f:
        exc, took = timed(lambda: f.get(server.url("/")))
    assert isinstance(exc, FetchTimeout)
    assert took < TIMEOUT + SLACK


# -- size caps ------------------------------------------------------------------------------


@pytest.mark.parametrize("length", [None, 50 * MiB], ids=["no-length", "with-length"])
def test_endless_body_is_cut_at_the_cap(length: int | None) -> None:
    with Server({"/": endless(length)}) as server, fetcher(max_bytes=MiB) as f:
        exc, took = timed(lambda: f.get(server.url("/")))
    assert isinstance(exc, TooLarge)
    assert took < TIMEOUT + SLACK
    assert exc.requests[0].bytes <= 2 * MiB  # stopped reading near the cap


def test_small_content_length_within_cap_then_larger_sitemap_cap() -> None:
    body = b"<urlset>" + b"x" * (MiB + 10) + b"</urlset>"
    handler = ok(body, headers=[("Content-Type", "application/xml")])
    with Server({"/s.xml": handler}) as server, fetcher(max_bytes=MiB) as f:
        with pytest.raises(TooLarge):
            f.get(server.url("/s.xml"))  # a page: 1 MiB cap
        assert f.get(server.url("/s.xml"), kind="sitemap").content == body  # 2 MiB cap
        with pytest.raises(TooLarge):
            f.get(server.url("/s.xml"), kind="sitemap", max_bytes=1024 * 1024)


BOMBS: dict[str, tuple[Callable[[], bytes], str]] = {
    "gzip": (gzip_bomb, "gzip"),
    "deflate": (deflate_bomb, "deflate"),
    "brotli": (brotli_bomb, "br"),
    "zstd": (zstd_bomb, "zstd"),
    "double": (double_bomb, "gzip, br"),
}


@pytest.mark.parametrize("name", list(BOMBS))
@pytest.mark.parametrize("with_length", [True, False], ids=["length", "no-length"])
def test_compression_bomb_is_cut_at_the_decoded_cap_with_flat_memory(
    name: str, with_length: bool
) -> None:
    build, coding = BOMBS[name]
    bomb = build()  # 64 MiB to 256 MiB once decoded, a few KiB on the wire
    handler: Handler = encoded(bomb, coding, content_length=with_length)
    with Server({"/": handler}) as server, fetcher(max_bytes=MiB) as f:
        tracemalloc.start()
        try:
            with pytest.raises(TooLarge, match="decoded"):
                f.get(server.url("/"))
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert peak < 8 * MiB


# -- broken connections -----------------------------------------------------------------------


@pytest.mark.parametrize("handler", [reset_mid_body, short_body], ids=["reset", "short-body"])
def test_broken_body_is_an_error_and_the_next_request_works(handler: Handler) -> None:
    with Server({"/broken": handler, "/good": ok(b"fine")}) as server, fetcher(retries=1) as f:
        with pytest.raises(ConnectFailed) as info:
            f.get(server.url("/broken"))
        assert len(info.value.requests) == 2  # retried once, failed again
        assert f.get(server.url("/good")).content == b"fine"


# -- redirects ------------------------------------------------------------------------------


def test_redirect_loop_is_stopped() -> None:
    routes = {"/a": redirect("/b"), "/b": redirect("/a")}
    with Server(routes) as server, fetcher() as f, pytest.raises(BadRedirect, match="loop"):
        f.get(server.url("/a"))
    assert server.paths() == ["/a", "/b"]


def test_twenty_hop_chain_stops_after_max_redirects() -> None:
    routes = {f"/hop{i}": redirect(f"/hop{i + 1}") for i in range(20)}
    routes["/hop20"] = ok(b"end")
    with (
        Server(routes) as server,
        fetcher(max_redirects=5) as f,
        pytest.raises(BadRedirect, match="too many redirects") as info,
    ):
        f.get(server.url("/hop0"))
    assert server.paths() == [f"/hop{i}" for i in range(6)]
    assert len(info.value.requests) == 6


@pytest.mark.parametrize("target", ["file:///etc/passwd", "ftp://127.0.0.1/feed.xml"])
def test_redirect_to_another_scheme_is_refused(target: str) -> None:
    with (
        Server({"/": redirect(target)}) as server,
        fetcher() as f,
        pytest.raises(BadRedirect, match="only http and https"),
    ):
        f.get(server.url("/"))


def test_redirect_without_location_is_an_error() -> None:
    with (
        Server({"/": ok(b"", status=302, headers=[("X-A", "b")])}) as server,
        fetcher() as f,
        pytest.raises(HTTPStatusError, match="Location"),
    ):
        f.get(server.url("/"))
