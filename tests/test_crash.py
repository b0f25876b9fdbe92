"""Crash safety: SIGKILL the daemon at random moments while it writes, many times; the
archive stays intact, every article logged as committed is there, once."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from archiver.capture import iter_captures
from archiver.store import Store

ARTICLES = 1000
KILLS = 12
WORDS = (
    "harbour crane tariff barley ferry glacier senate drought copper lantern orchard "
    "pension quarry reactor saffron tunnel vineyard walrus yacht zinc"
).split()


def page(n: int) -> bytes:
    rnd = random.Random(n)
    paragraphs = [" ".join(rnd.choice(WORDS) for _ in range(40)) + "." for _ in range(4)]
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return f"""<!doctype html><html lang="en"><head><title>Story {n} - Wire</title>
<meta property="og:title" content="Story {n}">
<meta property="article:published_time" content="2024-05-16T10:{n % 60:02d}:00Z">
</head><body><article><h1>Story {n}</h1>
<p>OSLO, May 16 (Wire) - Story number {n} begins with its own words, tag{n}.</p>{body}
</article></body></html>""".encode()


FEED = (
    "<?xml version='1.0'?><rss version='2.0'><channel><title>wire</title>"
    + "".join(
        f"<item><title>Story {n}</title><link>{{base}}/news/{n}</link>"
        f"<guid>{{base}}/news/{n}</guid></item>"
        for n in range(ARTICLES)
    )
    + "</channel></rss>"
)


@pytest.fixture
def server() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            base = f"http://127.0.0.1:{self.connection.getsockname()[1]}"
            if self.path == "/feed.xml":
                body, kind = FEED.replace("{base}", base).encode(), "application/rss+xml"
            elif self.path.startswith("/news/"):
                body, kind = page(int(self.path.rsplit("/", 1)[1])), "text/html; charset=utf-8"
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def committed_urls(lines: list[str]) -> set[str]:
    """URLs the daemon logged as filed: the log line comes after the commit."""
    found = set()
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue  # a line torn by the kill
        if record.get("msg") == "article" and record.get("outcome") in ("new", "revision"):
            found.add(record["url"])
    return found


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_sigkill_while_writing_loses_and_duplicates_nothing(tmp_path: Path, server: str) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        f"""
[archive]
path = "archive.db"
captures = "captures"
[http]
allow_private = true
delay = 0
timeout = 10
[daemon]
tick = "0.1s"
max_articles = {ARTICLES}
[[sources]]
name = "wire"
url = "{server}/feed.xml"
every = "1s"
""",
        encoding="utf-8",
    )
    rnd = random.Random(20240516)
    committed: set[str] = set()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    for _ in range(KILLS):
        proc = subprocess.Popen(
            [sys.executable, "-m", "archiver", "run", "--config", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        lines: list[str] = []
        started = threading.Event()

        def read(stream=proc.stderr, lines=lines, started=started) -> None:  # type: ignore[no-untyped-def]
            for line in stream:
                lines.append(line)
                if '"msg": "article"' in line or '"msg": "poll"' in line:
                    started.set()

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        started.wait(timeout=30)
        time.sleep(rnd.uniform(0.0, 0.6))  # somewhere in the middle of writes
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        reader.join(timeout=5)
        assert proc.stderr is not None
        proc.stderr.close()  # read to its end by the reader: closed here, not by the GC
        committed |= committed_urls(lines)
    assert committed, "the daemon never got to write before it was killed"

    done = subprocess.run(
        [sys.executable, "-m", "archiver", "poll", "--config", str(config)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]

    with Store(tmp_path / "archive.db") as store:
        assert store.integrity_problems() == []
        urls = [r[0] for r in store.conn.execute("SELECT url FROM articles")]
        assert len(urls) == len(set(urls)) == ARTICLES
        assert committed <= set(urls)
        revisions = store.conn.execute(
            "SELECT count(*), count(DISTINCT article_id) FROM revisions"
        ).fetchone()
        assert tuple(revisions) == (ARTICLES, ARTICLES)
        fts = store.conn.execute(
            "SELECT count(DISTINCT rowid) FROM articles_search"
            " WHERE rowid IN (SELECT id FROM articles)"
        ).fetchone()[0]
        assert fts == ARTICLES
    # the captures read back whole: torn tails were cut or skipped
    captured = {resp.url for _, resp in iter_captures(tmp_path / "captures")}
    assert {f"{server}/news/{n}" for n in range(ARTICLES)} <= captured
