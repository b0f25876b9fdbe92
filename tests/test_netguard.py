"""SSRF: private addresses refused before any request reaches them, at every hop."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx
import pytest

from archiver.errors import ConnectFailed, PrivateAddress
from archiver.fetch import Fetcher
from archiver.fetch.netguard import PinnedBackend, PinnedTransport, is_public, parse_ip

from servers import Server, ok, redirect, settings

PUBLIC = "93.184.216.34"


def stub(table: dict[str, list[str]]) -> Any:
    asked: list[str] = []

    def resolve(host: str) -> list[str]:
        asked.append(host)
        if host not in table:
            raise ConnectFailed(f"cannot resolve {host}")
        return table[host]

    resolve.asked = asked  # type: ignore[attr-defined]
    return resolve


NAMES = {
    "loopback.example": ["127.0.0.1"],
    "v6loop.example": ["::1"],
    "ten.example": ["10.0.0.5"],
    "link.example": ["fe80::1"],
    "ula.example": ["fc00::1"],
    "metadata.example": ["169.254.169.254"],
}


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "[::1]",
        "0.0.0.0",
        "169.254.169.254",
        "10.1.2.3",
        "172.16.5.4",
        "172.31.255.254",
        "192.168.1.1",
        "[::ffff:127.0.0.1]",
        "[::ffff:7f00:1]",
        "2130706433",
        "0x7f000001",
        "0177.0.0.1",
        "127.1",
        "100.64.0.1",
        *NAMES,
    ],
)
def test_private_addresses_are_refused_before_any_connection(host: str) -> None:
    resolver = stub(NAMES)
    with (
        Server({"/": ok(b"secret")}) as server,
        Fetcher(settings(allow_private=False), resolver=resolver) as f,
    ):
        with pytest.raises(PrivateAddress, match="allow_private") as info:
            f.get(f"http://{host}:{server.port}/")
        assert server.connections == 0
    assert all(r.status is None for r in info.value.requests)


def test_the_refusal_names_the_address_and_the_setting() -> None:
    with Fetcher(settings(allow_private=False), resolver=stub(NAMES)) as f:
        with pytest.raises(PrivateAddress) as literal:
            f.get("http://127.0.0.1/feed")
        with pytest.raises(PrivateAddress) as named:
            f.get("http://loopback.example/feed")
    assert str(literal.value) == (
        "private address 127.0.0.1 refused (set http.allow_private = true to allow)"
    )
    assert "loopback.example" in str(named.value) and "127.0.0.1" in str(named.value)


def test_allow_private_connects_to_the_checked_ip_keeping_the_host_name() -> None:
    resolver = stub({"news.example": ["127.0.0.1"]})
    with (
        Server({"/a": ok(b"page")}) as server,
        Fetcher(settings(allow_private=True), resolver=resolver) as f,
    ):
        got = f.get(f"http://news.example:{server.port}/a")
    assert got.content == b"page"
    assert server.requests[0].headers["host"] == f"news.example:{server.port}"
    assert resolver.asked == ["news.example"]


class Relay(httpcore.NetworkBackend):
    """Stands in for the internet: records each IP asked for, connects them to a local port."""

    def __init__(self, ports: dict[str, int]) -> None:
        self.ports = ports
        self.asked: list[str] = []
        self._tcp = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        self.asked.append(host)
        return self._tcp.connect_tcp("127.0.0.1", self.ports[host], timeout, None, socket_options)


@pytest.mark.parametrize(
    "target", ["http://internal.example/admin", "http://127.0.0.1/admin", "http://[::1]/x"]
)
def test_a_redirect_into_a_private_address_is_refused_at_that_hop(target: str) -> None:
    with Server({"/feed": redirect(target)}) as public, Server({"/admin": ok(b"x")}) as inner:
        relay = Relay({PUBLIC: public.port, "10.0.0.1": inner.port})
        resolver = stub({"public.example": [PUBLIC], "internal.example": ["10.0.0.1"]})
        backend = PinnedBackend(allow_private=False, resolver=resolver, tcp=relay)
        with (
            Fetcher(settings(allow_private=False), transport=PinnedTransport(backend)) as f,
            pytest.raises(PrivateAddress) as info,
        ):
            f.get("http://public.example/feed")
        assert public.paths() == ["/feed"]
        assert public.requests[0].headers["host"] == "public.example"
        assert inner.connections == 0
    assert relay.asked == [PUBLIC]  # the private address was never connected to
    first, *refused = info.value.requests
    assert first.status == 302
    # a name is refused when its address is known, at connect time: logged, nothing sent
    assert all(r.status is None and "private" in (r.error or "") for r in refused)


def test_a_name_with_public_and_private_answers_uses_only_the_public_one() -> None:
    with Server({"/": ok(b"public")}) as public:
        relay = Relay({PUBLIC: public.port})
        resolver = stub({"mixed.example": ["127.0.0.1", PUBLIC]})
        backend = PinnedBackend(allow_private=False, resolver=resolver, tcp=relay)
        with Fetcher(settings(allow_private=False), transport=PinnedTransport(backend)) as f:
            assert f.get("http://mixed.example/").content == b"public"
    assert relay.asked == [PUBLIC]


def test_with_a_mock_transport_every_hop_is_checked_by_the_resolver() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(302, headers={"Location": "http://internal.example/secret"})

    resolver = stub({"public.example": [PUBLIC], "internal.example": ["192.168.0.10"]})
    transport = httpx.MockTransport(handler)
    with (
        Fetcher(settings(allow_private=False), transport=transport, resolver=resolver) as f,
        pytest.raises(PrivateAddress),
    ):
        f.get("http://public.example/feed")
    assert seen == ["http://public.example/feed"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("[::1]", "::1"),
        ("::ffff:127.0.0.1", "::ffff:7f00:1"),
        ("fe80::1%eth0", "fe80::1"),
        ("example.com", None),
        ("cafe.be", None),
        ("0xdeadbeef.example", None),
    ],
)
def test_parse_ip_reads_every_literal_form(text: str, expected: str | None) -> None:
    parsed = parse_ip(text)
    assert (str(parsed) if parsed is not None else None) == expected


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("8.8.8.8", True),
        ("2606:4700:4700::1111", True),
        ("127.0.0.1", False),
        ("0.0.0.0", False),
        ("10.255.255.255", False),
        ("172.16.0.1", False),
        ("192.168.255.1", False),
        ("169.254.169.254", False),
        ("100.64.1.1", False),
        ("224.0.0.1", False),
        ("::", False),
        ("::1", False),
        ("fe80::1", False),
        ("fd12:3456::1", False),
        ("::ffff:10.0.0.1", False),
        ("::ffff:8.8.8.8", True),
        ("2002:7f00:1::", False),  # 6to4 wrapping 127.0.0.1
        ("64:ff9b::a9fe:a9fe", False),  # NAT64 wrapping 169.254.169.254 (metadata)
        ("64:ff9b::7f00:1", False),  # NAT64 wrapping 127.0.0.1
        ("64:ff9b::808:808", True),  # NAT64 wrapping 8.8.8.8: how IPv6-only networks go out
        ("64:ff9b:1::a00:1", False),  # local-use NAT64 prefix
        ("::7f00:1", False),  # IPv4-compatible ::127.0.0.1
        ("::808:808", False),  # IPv4-compatible, deprecated whatever it holds
        ("::ffff:0:7f00:1", False),  # IPv4-translated ::ffff:0:127.0.0.1
        ("fec0::1", False),  # site-local
        ("192.0.0.8", False),  # IETF protocol assignment (dummy address)
        ("192.0.0.170", False),
    ],
)
def test_is_public(address: str, public: bool) -> None:
    assert is_public(ipaddress.ip_address(address)) is public
