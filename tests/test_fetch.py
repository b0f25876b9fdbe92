"""Fetcher: the ordinary path (a real server on 127.0.0.1) and what Fetched carries."""

from __future__ import annotations

import gzip
from datetime import UTC, timedelta

import brotli
import httpx
import pytest
import zstandard

from archiver.errors import FetchError, HTTPStatusError
from archiver.fetch.headers import charset, freshness

from servers import Server, conditional, encoded, fetcher, ok, redirect

PAGE = "<html><body><p>BAKU, January 30. /TASS/. Привет</p></body></html>".encode()


def test_get_returns_body_headers_and_request_log() -> None:
    with Server({"/a": ok(PAGE)}) as server, fetcher() as f:
        got = f.get(server.url("/a"))
    assert got.status == 200
    assert got.content == PAGE
    assert got.url == got.requested_url == server.url("/a")
    assert got.charset == "utf-8"
    assert got.header("content-type") == "text/html; charset=utf-8"
    assert got.fetched_at is not None and got.fetched_at.tzinfo is not None
    assert len(got.requests) == 1
    record = got.requests[0]
    assert (record.url, record.status, record.bytes, record.error) == (
        server.url("/a"),
        200,
        len(PAGE),
        None,
    )
    assert record.at.tzinfo is not None


def test_sends_an_honest_user_agent_and_accepts_what_it_decodes() -> None:
    with Server({"/feed": ok(b"<rss/>")}) as server, fetcher() as f:
        f.get(server.url("/feed"), kind="feed")
    sent = server.requests[0].headers
    assert sent["user-agent"].startswith("archiver/")
    assert {"gzip", "br", "zstd", "deflate"} <= {
        t.strip() for t in sent["accept-encoding"].split(",")
    }
    assert "application/rss+xml" in sent["accept"]


@pytest.mark.parametrize(
    ("coding", "body"),
    [
        ("gzip", gzip.compress(PAGE)),
        ("br", brotli.compress(PAGE)),
        ("zstd", zstandard.ZstdCompressor().compress(PAGE)),
        ("gzip, br", brotli.compress(gzip.compress(PAGE))),
    ],
)
def test_content_is_decoded_from_content_encoding(coding: str, body: bytes) -> None:
    with Server({"/a": encoded(body, coding)}) as server, fetcher() as f:
        got = f.get(server.url("/a"))
    assert got.content == PAGE
    assert got.requests[0].bytes == len(body)  # bytes on the wire


def test_deflate_with_and_without_zlib_header() -> None:
    import zlib

    raw = zlib.compressobj(6, zlib.DEFLATED, -15)
    raw_body = raw.compress(PAGE) + raw.flush()
    routes = {"/z": encoded(zlib.compress(PAGE), "deflate"), "/raw": encoded(raw_body, "deflate")}
    with Server(routes) as server, fetcher() as f:
        assert f.get(server.url("/z")).content == PAGE
        assert f.get(server.url("/raw")).content == PAGE


def test_corrupt_gzip_is_an_error_not_garbage() -> None:
    with (
        Server({"/a": encoded(b"\x1f\x8b\x08\x00garbage-not-gzip", "gzip")}) as server,
        fetcher() as f,
        pytest.raises(FetchError, match="gzip"),
    ):
        f.get(server.url("/a"))


def test_conditional_get_returns_304_with_empty_content() -> None:
    etag, modified = '"v1"', "Fri, 30 Jan 2026 10:00:00 GMT"
    routes = {"/feed": conditional(b"<rss>items</rss>", etag=etag, last_modified=modified)}
    with Server(routes) as server, fetcher() as f:
        first = f.get(server.url("/feed"), kind="feed")
        again = f.get(server.url("/feed"), kind="feed", etag=first.etag)
        by_date = f.get(server.url("/feed"), kind="feed", last_modified=first.last_modified)
    assert (first.status, first.etag, first.last_modified) == (200, etag, modified)
    assert first.content == b"<rss>items</rss>"
    assert again.status == 304 and again.not_modified and again.content == b""
    assert again.etag == etag
    assert by_date.status == 304 and by_date.content == b""
    assert server.requests[1].headers["if-none-match"] == etag
    assert server.requests[2].headers["if-modified-since"] == modified


def test_redirect_is_followed_and_every_hop_logged() -> None:
    routes = {"/old": redirect("/mid", 301), "/mid": redirect("/new", 307), "/new": ok(PAGE)}
    with Server(routes) as server, fetcher() as f:
        got = f.get(server.url("/old"))
    assert got.url == server.url("/new")
    assert got.requested_url == server.url("/old")
    assert [(r.url, r.status) for r in got.requests] == [
        (server.url("/old"), 301),
        (server.url("/mid"), 307),
        (server.url("/new"), 200),
    ]


def test_http_error_status_carries_status_and_requests() -> None:
    with Server() as server, fetcher() as f, pytest.raises(HTTPStatusError) as info:
        f.get(server.url("/missing"))
    assert info.value.status == 404
    assert "404" in str(info.value)
    assert len(info.value.requests) == 1  # a 404 is not retried
    assert info.value.requests[0].status == 404


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/x", "not a url"])
def test_only_http_urls_are_fetched(url: str) -> None:
    with fetcher() as f, pytest.raises(FetchError):
        f.get(url)


def test_freshness_from_cache_control_and_expires() -> None:
    now = httpx.Headers({"date": "Fri, 30 Jan 2026 10:00:00 GMT"})
    from datetime import datetime

    at = datetime(2026, 1, 30, 10, 0, tzinfo=UTC)
    assert freshness(httpx.Headers({"cache-control": "public, max-age=600"}), at) == timedelta(
        minutes=10
    )
    expires = httpx.Headers({**now, "expires": "Fri, 30 Jan 2026 10:30:00 GMT"})
    assert freshness(expires, at) == timedelta(minutes=30)
    assert freshness(httpx.Headers({"cache-control": "no-cache, max-age=600"}), at) is None
    assert freshness(httpx.Headers({"expires": "0"}), at) is None
    assert freshness(httpx.Headers({}), at) is None


def test_freshness_reaches_fetched() -> None:
    headers = [("Content-Type", "application/rss+xml"), ("Cache-Control", "max-age=900")]
    with Server({"/feed": ok(b"<rss/>", headers=headers)}) as server, fetcher() as f:
        assert f.get(server.url("/feed"), kind="feed").freshness == timedelta(minutes=15)


def test_charset_from_content_type() -> None:
    assert charset("text/html; charset=Windows-1251") == "windows-1251"
    assert charset('text/html; charset="gb2312"') == "gb2312"
    assert charset("text/html") is None
    assert charset(None) is None
