"""https through the pinned connection: the socket goes to the checked IP, while TLS SNI,
the certificate check and the Host header keep the URL's host name."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from pathlib import Path

import pytest

from archiver.errors import ConnectFailed
from archiver.fetch import Fetcher

from servers import Server, ok, settings

NAME = "news.example"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-keyout", str(key), "-out", str(cert), "-subj", f"/CN={NAME}",
            "-addext", f"subjectAltName=DNS:{NAME}",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def serving(cert: Path, key: Path, names: list[str | None]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)

    def sni(sock: ssl.SSLObject, name: str | None, ctx: ssl.SSLContext) -> None:
        names.append(name)

    context.sni_callback = sni
    return context


def resolve(host: str) -> list[str]:
    assert host == NAME
    return ["127.0.0.1"]


def test_https_to_a_pinned_ip_keeps_sni_certificate_and_host(
    certificate: tuple[Path, Path],
) -> None:
    cert, key = certificate
    names: list[str | None] = []
    trust = ssl.create_default_context(cafile=str(cert))
    with Server({"/a": ok(b"secure page")}, tls=serving(cert, key, names)) as server:
        with Fetcher(settings(), resolver=resolve, ssl_context=trust) as f:
            got = f.get(f"https://{NAME}:{server.port}/a")
        assert server.requests[0].headers["host"] == f"{NAME}:{server.port}"
    assert got.content == b"secure page"
    assert names == [NAME]


def test_an_untrusted_certificate_is_a_connection_error(certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    with Server({"/a": ok(b"x")}, tls=serving(cert, key, [])) as server:
        with Fetcher(settings(retries=0), resolver=resolve) as f, pytest.raises(ConnectFailed):
            f.get(f"https://{NAME}:{server.port}/a")
        assert server.requests == []
