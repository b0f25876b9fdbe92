"""robots.txt (RFC 9309): 4xx allows, 5xx/timeouts disallow for now, Crawl-delay, caching."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from archiver.errors import (
    ConnectFailed,
    FetchError,
    FetchTimeout,
    HTTPStatusError,
    PrivateAddress,
    RobotsDisallowed,
)
from archiver.fetch.robots import RobotsCache, product_token, robots_url
from archiver.models import RequestRecord

from servers import Handler, Request, Server, fetcher, never_answer, ok, redirect, respond, status

UA = "archiver/0.1 (+https://example.org/bot)"


def robots(text: str) -> Handler:
    return ok(text.encode(), headers=[("Content-Type", "text/plain")])


def test_robots_404_allows_everything() -> None:
    with Server({"/a": ok(b"page")}) as server, fetcher(obey_robots=True) as f:
        got = f.get(server.url("/a"))
    assert got.content == b"page"
    assert [(r.url, r.status) for r in got.requests] == [
        (server.url("/robots.txt"), 404),
        (server.url("/a"), 200),
    ]


@pytest.mark.parametrize("code", [500, 503])
def test_robots_5xx_disallows_for_now_and_is_cached(code: int) -> None:
    routes = {"/robots.txt": status(code), "/a": ok(b"page")}
    with Server(routes) as server, fetcher(obey_robots=True) as f:
        with pytest.raises(RobotsDisallowed, match=f"HTTP {code}") as first:
            f.get(server.url("/a"))
        with pytest.raises(RobotsDisallowed):
            f.get(server.url("/a"))
    assert server.paths() == ["/robots.txt"]  # no page request, robots asked once
    assert [r.status for r in first.value.requests] == [code]


def test_robots_timeout_disallows_for_now() -> None:
    routes = {"/robots.txt": never_answer, "/a": ok(b"page")}
    with Server(routes) as server, fetcher(obey_robots=True, timeout=1.0) as f:
        started = time.monotonic()
        with pytest.raises(RobotsDisallowed, match="could not be read"):
            f.get(server.url("/a"))
        assert time.monotonic() - started < 2.5
    assert "/a" not in server.paths()


def test_disallow_rules_apply_and_robots_is_fetched_once_per_host() -> None:
    text = "User-agent: *\nDisallow: /private/\n"
    routes = {"/robots.txt": robots(text), "/public": ok(b"ok"), "/private/x": ok(b"no")}
    with Server(routes) as server, fetcher(obey_robots=True) as f:
        assert f.get(server.url("/public")).content == b"ok"
        with pytest.raises(RobotsDisallowed, match="disallows"):
            f.get(server.url("/private/x"))
        assert f.get(server.url("/public")).requests[-1].status == 200
    assert server.paths() == ["/robots.txt", "/public", "/public"]


def test_our_own_group_is_matched_by_product_token() -> None:
    text = "User-agent: otherbot\nDisallow: /\n\nUser-agent: archiver\nDisallow: /feeds/\n"
    routes = {"/robots.txt": robots(text), "/news/1": ok(b"n"), "/feeds/x": ok(b"f")}
    with Server(routes) as server, fetcher(obey_robots=True, user_agent=UA) as f:
        assert f.get(server.url("/news/1")).content == b"n"
        with pytest.raises(RobotsDisallowed):
            f.get(server.url("/feeds/x"))


def test_crawl_delay_spaces_requests_when_larger_than_delay() -> None:
    starts: list[float] = []

    def page(conn: socket.socket, request: Request, server: Server) -> None:
        starts.append(time.monotonic())
        respond(conn, 200, [("Content-Type", "text/html")], b"p")

    routes = {"/robots.txt": robots("User-agent: *\nCrawl-delay: 1\n"), "/p": page}
    with Server(routes) as server, fetcher(obey_robots=True, delay=0.0) as f:
        f.get(server.url("/p"))
        f.get(server.url("/p"))
    assert len(starts) == 2
    assert starts[1] - starts[0] >= 1.0


def test_robots_redirect_is_followed() -> None:
    routes = {
        "/robots.txt": redirect("/real-robots.txt"),
        "/real-robots.txt": robots("User-agent: *\nDisallow: /x\n"),
        "/x": ok(b"x"),
    }
    with Server(routes) as server, fetcher(obey_robots=True) as f, pytest.raises(RobotsDisallowed):
        f.get(server.url("/x"))


# -- the cache on its own (fake fetch, fake clock) ---------------------------------------------


class FakeRobots:
    def __init__(self, *answers: bytes | Exception) -> None:
        self.answers = list(answers)
        self.calls: list[str] = []
        self.now = 0.0

    def fetch(self, url: str, records: list[RequestRecord]) -> bytes:
        self.calls.append(url)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer

    def cache(self) -> RobotsCache:
        return RobotsCache(UA, self.fetch, ttl=100, unreachable_ttl=10, clock=lambda: self.now)


def test_cache_expires_after_its_ttl() -> None:
    fake = FakeRobots(b"User-agent: *\nDisallow: /a\n", b"User-agent: *\nAllow: /\n")
    cache = fake.cache()
    with pytest.raises(RobotsDisallowed):
        cache.check("http://h.example/a", [])
    fake.now = 99
    with pytest.raises(RobotsDisallowed):
        cache.check("http://h.example/a", [])
    fake.now = 101
    assert cache.check("http://h.example/a", []) is None
    assert fake.calls == ["http://h.example/robots.txt"] * 2


def test_unreachable_is_retried_sooner() -> None:
    fake = FakeRobots(FetchTimeout("timed out"), b"")
    cache = fake.cache()
    with pytest.raises(RobotsDisallowed, match="timed out"):
        cache.check("http://h.example/a", [])
    fake.now = 11
    assert cache.check("http://h.example/a", []) is None
    assert len(fake.calls) == 2


@pytest.mark.parametrize(
    ("error", "allowed"),
    [
        (HTTPStatusError("HTTP 404", status=404), True),
        (HTTPStatusError("HTTP 401", status=401), True),
        (HTTPStatusError("HTTP 429", status=429), False),
        (HTTPStatusError("HTTP 500", status=500), False),
        (ConnectFailed("connection reset"), False),
        (FetchTimeout("timed out"), False),
    ],
)
def test_error_answers(error: Exception, allowed: bool) -> None:
    cache = FakeRobots(error).cache()
    if allowed:
        assert cache.check("http://h.example/a", []) is None
    else:
        with pytest.raises(RobotsDisallowed):
            cache.check("http://h.example/a", [])


@pytest.mark.parametrize("error", [PrivateAddress("private"), FetchError("stopped")])
def test_refusals_and_stop_are_not_robots_answers(error: Exception) -> None:
    cache = FakeRobots(error).cache()
    with pytest.raises(type(error)) as info:
        cache.check("http://h.example/a", [])
    assert not isinstance(info.value, RobotsDisallowed)


def test_one_robots_request_per_origin_under_concurrency() -> None:
    gate = threading.Event()

    class Slow(FakeRobots):
        def fetch(self, url: str, records: list[RequestRecord]) -> bytes:
            gate.wait(2)
            return super().fetch(url, records)

    fake = Slow(b"User-agent: *\nAllow: /\n")
    cache = fake.cache()
    threads = [
        threading.Thread(target=cache.check, args=(f"http://h.example/{i}", [])) for i in range(4)
    ]
    for t in threads:
        t.start()
    gate.set()
    for t in threads:
        t.join(5)
    assert fake.calls == ["http://h.example/robots.txt"]


def test_crawl_delay_and_helpers() -> None:
    cache = FakeRobots(b"User-agent: *\nCrawl-delay: 7\n").cache()
    assert cache.check("http://h.example/a", []) == 7.0
    assert product_token(UA) == "archiver"
    assert product_token("Mozilla/5.0 (compatible)") == "mozilla"
    assert robots_url("HTTPS://News.Example:8443/a/b?c=1") == "https://news.example:8443/robots.txt"
