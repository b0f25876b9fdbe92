"""Start ``archiver.serve.app`` as a subprocess on 127.0.0.1 and wait until it answers."""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from archiver.serve.app import build_datasette_argv, write_metadata


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(base: str, proc: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"datasette exited with {proc.returncode}")
        try:
            if httpx.get(base + "/-/versions.json", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError("datasette did not start in time")


@contextmanager
def running(argv: list[str]) -> Iterator[subprocess.Popen[bytes]]:
    # the log goes to a file: an unread pipe would fill up and stall the server
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        try:
            yield proc
        finally:
            _stop(proc)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    try:
        proc.terminate()
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextmanager
def datasette(db_path: Path, tmp_path: Path) -> Iterator[str]:
    """Datasette on ``db_path``, set up as ``archiver serve`` does; yields its base URL."""
    port = free_port()
    metadata = write_metadata(db_path, tmp_path / "metadata.json")
    argv = build_datasette_argv(db_path, metadata, port=port, python=sys.executable)
    with running(argv) as proc:
        base = f"http://127.0.0.1:{port}"
        wait_until_up(base, proc)
        yield base
