"""A poll with hostile sources among good ones: a drip, a gzip bomb, an endless body, a
server that never answers, a robots.txt that forbids. The poll ends near the deadline,
memory stays small, the good sources are archived in full and each bad one shows its error."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from archiver.store import Store

from servers import Server, drip, encoded, endless, gzip_bomb, never_answer, ok, status
from sitefixture import serve_site

FIXTURES = Path(__file__).parent / "fixtures" / "site"
DEADLINE = 3  # seconds, http.timeout
MAXRSS_SCRIPT = (
    # VmHWM: this process image's peak RSS (ru_maxrss would carry the forking parent's)
    "import atexit, re, sys\n"
    "def peak():\n"
    "    status = open('/proc/self/status').read()\n"
    "    sys.stderr.write('MAXRSS_KB %s\\n' % re.search(r'VmHWM:\\s+(\\d+)', status)[1])\n"
    "atexit.register(peak)\n"
    "from archiver.cli import main\n"
    "sys.argv = ['archiver', *sys.argv[1:]]\n"
    "main()\n"
)


@pytest.mark.slow
def test_hostile_sources_do_not_hurt_the_good_ones(tmp_path: Path) -> None:
    bomb = gzip_bomb(1024 * 1024 * 1024)  # 1 GiB of zeros, about 1 MB on the wire
    # a separate server per fault: politeness keeps one request at a time per host
    servers = {
        "drip": Server({"/feed.xml": drip(0.5)}),
        "bomb": Server({"/feed.xml": encoded(bomb, "gzip")}),
        "endless": Server({"/feed.xml": endless()}),
        "silent": Server({"/feed.xml": never_answer}),
        "robots": Server(
            {
                "/robots.txt": ok(
                    b"User-agent: *\nDisallow: /\n", headers=[("Content-Type", "text/plain")]
                ),
                "/feed.xml": ok(b"<rss/>", headers=[("Content-Type", "application/rss+xml")]),
            }
        ),
        "robots-down": Server(
            {
                "/robots.txt": status(503),
                "/feed.xml": ok(b"<rss/>", headers=[("Content-Type", "application/rss+xml")]),
            }
        ),
    }
    for server in servers.values():
        server.__enter__()
    try:
        with serve_site(FIXTURES) as site:
            faulty = "".join(
                f"""
[[sources]]
name = "{name}"
url = "{server.url("/feed.xml")}"
"""
                for name, server in servers.items()
            )
            config = tmp_path / "config.toml"
            config.write_text(
                f"""
[archive]
path = "archive.db"
captures = "captures"
[http]
allow_private = true
delay = 0
timeout = {DEADLINE}
[daemon]
workers = 4
[[sources]]
name = "tass-en"
url = "{site.url("/rss/v2.xml")}"
[[sources]]
name = "reuters"
kind = "sitemap"
url = "{site.url("/arc/outboundfeeds/news-sitemap/")}"
[[sources]]
name = "ap-world"
kind = "page"
url = "{site.url("/hub/world-news")}"
links = '/article/[a-z0-9-]+-[0-9a-f]{{32}}$'
{faulty}
""",
                encoding="utf-8",
            )
            t0 = time.monotonic()
            done = subprocess.run(
                [sys.executable, "-c", MAXRSS_SCRIPT, "poll", "--config", str(config)],
                capture_output=True,
                text=True,
                timeout=120,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
            elapsed = time.monotonic() - t0
    finally:
        for server in servers.values():
            server.close()

    assert done.returncode == 1, done.stderr[-3000:]  # some sources failed, and it says so
    assert elapsed < 60, f"poll took {elapsed:.1f} s"  # start-up included, on a busy machine
    maxrss_mb = int(done.stderr.rsplit("MAXRSS_KB ", 1)[1].split()[0]) / 1024
    assert maxrss_mb < 300, f"peak RSS {maxrss_mb:.0f} MB"

    with Store(tmp_path / "archive.db") as store:
        assert store.count_articles() == 9
        health = {r.name: r for r in store.sources_health()}
    assert str(health["drip"].last_error).startswith("timed out")
    assert str(health["bomb"].last_error).startswith("body larger than 15 MiB (decoded)")
    assert str(health["endless"].last_error).startswith("body larger than 15 MiB (decoded)")
    assert str(health["silent"].last_error).startswith("timed out")
    assert "robots" in str(health["robots"].last_error)
    assert health["robots"].last_outcome == "blocked"
    # a robots.txt that cannot be read keeps us out for now, but the host is failing
    assert health["robots-down"].last_outcome == "failed"
    assert "robots.txt" in str(health["robots-down"].last_error)
    assert "503" in str(health["robots-down"].last_error)
    for name in ("tass-en", "reuters", "ap-world"):
        assert health[name].last_outcome == "ok" and health[name].error_count == 0
    for name in servers:
        assert health[name].error_count == 1
    # one JSON log line per poll, as stdout is not a terminal
    polls = [
        json.loads(line)
        for line in done.stderr.splitlines()
        if line.startswith("{") and '"msg": "poll"' in line
    ]
    assert sorted(p["source"] for p in polls) == sorted(
        [*servers, "tass-en", "reuters", "ap-world"]
    )
    # each hostile source was cut off at the request deadline, plus a little
    for p in polls:
        if p["source"] in servers:
            assert p["ms"] < (DEADLINE + 3) * 1000, p
