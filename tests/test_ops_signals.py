"""Signals: Ctrl-C stops a terminal poll promptly without blaming the page in flight;
SIGHUP makes the daemon reload its config (a bad one is reported and the old one kept)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from archiver.store import Store
from archiver.timeutil import from_iso

ITEMS = "".join(
    f"<item><title>Story {i}</title><link>{{base}}/slow/{i}</link><guid>s{i}</guid></item>"
    for i in range(3)
)
pytestmark = pytest.mark.slow  # subprocess daemons and signals, like test_daemon

FEED = f'<?xml version="1.0"?><rss version="2.0"><channel><title>w</title>{ITEMS}</channel></rss>'


class Server:
    """/feed.xml and /other.xml list pages under /slow/, which drip a byte every 0.2 s."""

    def __init__(self) -> None:
        self.hits: dict[str, int] = {}
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                outer.hits[self.path] = outer.hits.get(self.path, 0) + 1
                if self.path.startswith("/slow/"):
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html")
                    self.end_headers()
                    try:
                        for _ in range(1000):
                            self.wfile.write(b" ")
                            self.wfile.flush()
                            time.sleep(0.2)
                    except OSError:
                        pass
                    return
                if self.path not in ("/feed.xml", "/other.xml"):
                    self.send_error(404)
                    return
                body = FEED.replace("{base}", outer.base).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def count(self, prefix: str) -> int:
        return sum(n for path, n in dict(self.hits).items() if path.startswith(prefix))


@pytest.fixture
def server() -> Iterator[Server]:
    s = Server()
    yield s
    s.httpd.shutdown()
    s.httpd.server_close()


def write_config(path: Path, base: str, other: str | None = None) -> Path:
    """One source "wire" on ``base``; with ``other``, a second one on that server."""
    sources = f'[[sources]]\nname = "wire"\nurl = "{base}/feed.xml"\nevery = "1h"\n'
    if other:
        sources += f'[[sources]]\nname = "second"\nurl = "{other}/other.xml"\nevery = "1h"\n'

    path.write_text(
        f"""[archive]
path = "archive.db"
captures = "captures"
[http]
allow_private = true
obey_robots = false
delay = 0
timeout = 60
retries = 0
[daemon]
tick = "0.2s"
{sources}""",
        encoding="utf-8",
    )
    return path


def start(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "archiver", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def wait_for(predicate, timeout: float = 20.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_ctrl_c_stops_a_poll_within_5s_and_the_page_in_flight_is_not_a_failure(
    tmp_path: Path, server: Server
) -> None:
    config = write_config(tmp_path / "config.toml", server.base)
    proc = start("poll", "--config", str(config))
    assert wait_for(lambda: server.count("/slow/") >= 1)
    time.sleep(0.5)  # the article page is dripping now
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=5)  # the bar: stopped within 5 s
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "interrupted" in err
    with Store(tmp_path / "archive.db") as store:
        assert store.integrity_problems() == []
        assert store.conn.execute("SELECT count(*) FROM failures").fetchone()[0] == 0
        row = store.conn.execute("SELECT * FROM sources WHERE name = 'wire'").fetchone()
        polled = from_iso(row["last_polled"])
        assert row["error_count"] == 0
    due = from_iso(row["next_check"])
    assert polled is not None and due is not None
    # links were left over: due again in a minute, not after the source's hour
    assert due - polled <= timedelta(minutes=2)


def test_sighup_reloads_the_daemon_config_and_keeps_the_old_one_when_bad(
    tmp_path: Path, server: Server
) -> None:
    config = write_config(tmp_path / "config.toml", server.base)
    other = Server()  # another host: politeness keeps one request at a time per host
    proc = start("run", "--config", str(config), "--log-format", "json")
    try:
        assert wait_for(lambda: server.count("/feed.xml") >= 1)
        write_config(config, server.base, other.base)  # a source added
        proc.send_signal(signal.SIGHUP)
        assert wait_for(lambda: other.count("/other.xml") >= 1), "the new source was not polled"
        config.write_text(config.read_text() + "\n[[sources]]\nname = 'x'\nevery = 'often'\n")
        proc.send_signal(signal.SIGHUP)
        time.sleep(1.0)
        assert proc.poll() is None  # a bad config does not stop the daemon
    finally:
        proc.send_signal(signal.SIGTERM)
        _out, err = proc.communicate(timeout=15)
        other.httpd.shutdown()
        other.httpd.server_close()
    assert proc.returncode == 0, err[-2000:]
    assert '"msg": "reloaded"' in err
    assert '"msg": "reload failed, keeping the running config"' in err and "sources[2]" in err
    assert err.rstrip().splitlines()[-1].find('"msg": "stopped"') >= 0
