"""The daemon's lifecycle: SIGTERM/SIGINT stop it cleanly, a pause does not cause a burst,
a source that fails keeps its schedule, and one source is never polled twice at once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from archiver.config import parse_config
from archiver.poll.daemon import Daemon
from archiver.store import Store

pytestmark = pytest.mark.slow  # subprocess daemons, signals, pauses: ~25 s

EMPTY_FEED = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Quiet wire</title><link>http://127.0.0.1/</link>
<description>nothing new</description></channel></rss>"""


class FeedServer:
    """A feed on 127.0.0.1 that counts its requests; /slow drips forever."""

    def __init__(self) -> None:
        self.hits: dict[str, int] = {}
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                with outer.lock:
                    outer.hits[self.path] = outer.hits.get(self.path, 0) + 1
                if self.path == "/robots.txt":
                    self.send_error(404)
                    return
                if self.path.startswith("/slow"):
                    self.send_response(200)
                    self.send_header("Content-Type", "application/rss+xml")
                    self.end_headers()
                    try:
                        for _ in range(600):
                            self.wfile.write(b" ")
                            self.wfile.flush()
                            time.sleep(0.5)
                    except OSError:
                        pass
                    return
                if self.path.startswith("/broken"):
                    self.send_error(500)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml")
                self.send_header("Content-Length", str(len(EMPTY_FEED)))
                self.end_headers()
                self.wfile.write(EMPTY_FEED)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def count(self, path: str) -> int:
        with self.lock:
            return self.hits.get(path, 0)

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[FeedServer]:
    s = FeedServer()
    yield s
    s.close()


def write_config(tmp_path: Path, base: str, sources: str, tick: str = "0.2s") -> Path:
    config = tmp_path / "config.toml"
    config.write_text(
        f"""
[archive]
path = "archive.db"
captures = "captures"
[http]
allow_private = true
delay = 0
timeout = 20
retries = 0
[daemon]
tick = "{tick}"
{sources.replace("{base}", base)}
""",
        encoding="utf-8",
    )
    return config


_STARTED: list[subprocess.Popen[str]] = []


def start(config: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "archiver", "run", "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    _STARTED.append(proc)
    return proc


@pytest.fixture(autouse=True)
def _reap() -> Iterator[None]:
    """Every daemon a test started is stopped and its pipes closed, even when it failed."""
    yield
    while _STARTED:
        proc = _STARTED.pop()
        if proc.poll() is None:
            proc.kill()
        proc.communicate()  # reads what is left and closes stdout and stderr


def wait_for(predicate, timeout: float = 15.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_stops_cleanly_within_10s_while_idle(
    tmp_path: Path, server: FeedServer, signum: int
) -> None:
    config = write_config(
        tmp_path,
        server.base,
        """
[[sources]]
name = "quiet"
url = "{base}/feed.xml"
every = "1h"
""",
    )
    proc = start(config)
    assert wait_for(lambda: server.count("/feed.xml") >= 1), proc.stderr
    t0 = time.monotonic()
    proc.send_signal(signum)
    _, stderr = proc.communicate(timeout=10)
    assert proc.returncode == 0
    assert time.monotonic() - t0 < 10
    assert "stopped" in stderr


def test_sigterm_during_a_hanging_fetch(tmp_path: Path, server: FeedServer) -> None:
    other = FeedServer()  # another host: politeness holds one request at a time per host
    config = write_config(
        tmp_path,
        server.base,
        f"""
[[sources]]
name = "dripping"
url = "{{base}}/slow.xml"
every = "1h"
[[sources]]
name = "quiet"
url = "{other.base}/feed.xml"
every = "1h"
""",
    )
    proc = start(config)
    assert wait_for(lambda: server.count("/slow.xml") >= 1 and other.count("/feed.xml") >= 1)
    time.sleep(0.5)  # the drip is now in flight
    t0 = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=10)
    assert proc.returncode == 0 and time.monotonic() - t0 < 10
    with Store(tmp_path / "archive.db") as store:
        assert store.integrity_problems() == []
        states = {r.name: r for r in store.sources_health()}
    assert states["quiet"].last_outcome == "ok"
    other.close()


def test_a_paused_process_does_not_burst_on_resume(tmp_path: Path, server: FeedServer) -> None:
    config = write_config(
        tmp_path,
        server.base,
        """
[[sources]]
name = "fast"
url = "{base}/feed.xml"
every = "1s"
""",
    )
    proc = start(config)
    try:
        assert wait_for(lambda: server.count("/feed.xml") >= 2)
        proc.send_signal(signal.SIGSTOP)
        time.sleep(0.3)
        paused_at = server.count("/feed.xml")
        time.sleep(4)  # four intervals missed
        proc.send_signal(signal.SIGCONT)
        time.sleep(0.7)
        after = server.count("/feed.xml") - paused_at
        assert after <= 1, f"{after} polls right after resume: a catch-up burst"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
    assert proc.returncode == 0


def test_failing_source_is_counted_and_keeps_its_schedule(
    tmp_path: Path, server: FeedServer
) -> None:
    config = parse_config(
        {
            "archive": {"path": str(tmp_path / "a.db"), "captures": str(tmp_path / "captures")},
            "http": {"allow_private": True, "delay": 0, "retries": 0},
            "daemon": {"tick": "0.1s"},
            "sources": [
                {"name": "broken", "url": f"{server.base}/broken.xml", "every": "0.2s"},
                {"name": "quiet", "url": f"{server.base}/feed.xml", "every": "0.2s"},
            ],
        }
    )
    daemon = Daemon(config)
    runner = threading.Thread(target=daemon.run, kwargs={"install_signals": False})
    runner.start()
    try:
        assert wait_for(lambda: server.count("/broken.xml") >= 2, timeout=20)
        assert wait_for(lambda: server.count("/feed.xml") >= 3, timeout=20)
    finally:
        daemon.request_stop()
        runner.join(timeout=10)
    assert not runner.is_alive()
    with Store(tmp_path / "a.db") as store:
        states = {r.name: r for r in store.sources_health()}
    assert states["broken"].error_count >= 1
    assert "500" in (states["broken"].last_error or "")
    assert states["quiet"].error_count == 0 and states["quiet"].polls >= 3


def test_tick_never_starts_a_second_poll_of_a_running_source(
    tmp_path: Path, server: FeedServer
) -> None:
    config = parse_config(
        {
            "archive": {"path": str(tmp_path / "a.db"), "captures": str(tmp_path / "captures")},
            "http": {"allow_private": True, "delay": 0, "retries": 0, "timeout": 3},
            "sources": [{"name": "dripping", "url": f"{server.base}/slow.xml", "every": "1s"}],
        }
    )
    daemon = Daemon(config)
    daemon.prepare()
    try:
        assert daemon.tick() == ["dripping"]
        assert wait_for(lambda: server.count("/slow.xml") == 1)
        assert daemon.tick() == []  # still running: not started again
        assert server.count("/slow.xml") == 1
    finally:
        daemon.stop.set()
        daemon._shutdown()
