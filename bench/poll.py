"""Polling cost: 200 sources on a local server, half of them unchanged between rounds.

Runs archiver's own poll (``archiver.poll.once.poll_now``: conditional GET, skip archived
links, extract, store, capture) and, in the same run against the same server, a bare
poller built from the same libraries the way feed scripts usually are (httpx GET of every
feed each round, feedparser, every unseen link fetched and run through trafilatura). For
the first round and the steady-state rounds it reports requests, bytes on the wire and CPU
seconds, and the peak RSS of each poller.

    .venv/bin/python bench/poll.py [--sources 200] [--items 10] [--rounds 3]
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing as mp
import resource
import sys
import tempfile
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

WORDS = (
    "harbour crane tariff barley ferry glacier senate drought copper lantern orchard "
    "pension quarry reactor saffron tunnel vineyard walrus yacht zinc minister talks "
    "ceasefire election budget exports"
).split()


def article(source: int, item: int) -> bytes:
    seed = int(hashlib.sha1(f"{source}/{item}".encode()).hexdigest()[:8], 16)
    words = [WORDS[(seed >> (i % 24)) % len(WORDS)] for i in range(400)]
    paragraphs = "".join(f"<p>{' '.join(words[i : i + 50])}.</p>" for i in range(0, 400, 50))
    return (
        f"<!doctype html><html lang='en'><head><title>Story {source}-{item} - Wire</title>"
        f"<meta property='og:title' content='Story {source}-{item}'>"
        f"<meta property='article:published_time' content='2024-05-16T10:00:00Z'>"
        f"</head><body><nav>Home News</nav><article><h1>Story {source}-{item}</h1>"
        f"<p>OSLO, May 16 (Wire) - Story {source}-{item} opens here.</p>{paragraphs}"
        f"</article><footer>About us</footer></body></html>"
    ).encode()


def feed(base: str, source: int, first: int, items: int) -> bytes:
    entries = "".join(
        f"<item><title>Story {source}-{i}</title><link>{base}/a/{source}/{i}</link>"
        f"<guid>{base}/a/{source}/{i}</guid><pubDate>Thu, 16 May 2024 10:00:00 GMT</pubDate>"
        f"</item>"
        for i in range(first, first + items)
    )
    return (
        f"<?xml version='1.0'?><rss version='2.0'><channel><title>Wire {source}</title>"
        f"{entries}</channel></rss>"
    ).encode()


def serve(port_out: Any, stats: Any, generation: Any, items: int) -> None:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        wbufsize = 1 << 16  # one write per response (no Nagle stalls on keep-alive)

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            base = f"http://127.0.0.1:{self.connection.getsockname()[1]}"
            parts = self.path.strip("/").split("/")
            if parts[0] == "feed":
                n = int(parts[1])
                # odd sources move on by one story a round; even sources never change
                first = generation.value if n % 2 else 0
                body, kind = feed(base, n, first, items), "application/rss+xml"
            elif parts[0] == "a":
                body, kind = article(int(parts[1]), int(parts[2])), "text/html; charset=utf-8"
            else:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            etag = '"' + hashlib.sha1(body).hexdigest()[:16] + '"'
            with stats.get_lock():
                stats[0] += 1
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            with stats.get_lock():
                stats[1] += len(body)
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("ETag", etag)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    port_out.value = httpd.server_address[1]
    httpd.serve_forever()


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_archiver(
    base: str, sources: int, rounds: int, generation: Any, stats: Any, out: Any
) -> None:
    from archiver.config import parse_config
    from archiver.logs import setup_logging
    from archiver.poll.once import poll_now

    setup_logging(json_lines=True, stream=open("/dev/null", "w"))  # noqa: SIM115
    tmp = Path(tempfile.mkdtemp())
    config = parse_config(
        {
            "archive": {"path": str(tmp / "a.db"), "captures": str(tmp / "captures")},
            "http": {"allow_private": True, "delay": 0, "obey_robots": False},
            "daemon": {"workers": 4},
            "sources": [
                {"name": f"s{i}", "url": f"{base}/feed/{i}", "revisit": []} for i in range(sources)
            ],
        }
    )
    rows = []
    for r in range(rounds):
        generation.value = r
        before = (stats[0], stats[1], cpu(), time.perf_counter())
        reports = poll_now(config).reports
        rows.append(
            (
                r,
                stats[0] - before[0],
                stats[1] - before[1],
                cpu() - before[2],
                time.perf_counter() - before[3],
                sum(x.new for x in reports),
            )
        )
    out.put(("archiver", rows, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))


def run_bare(base: str, sources: int, rounds: int, generation: Any, stats: Any, out: Any) -> None:
    from concurrent.futures import ThreadPoolExecutor

    import feedparser
    import httpx
    import trafilatura

    seen: set[str] = set()
    client = httpx.Client(timeout=30)

    def one(i: int) -> int:
        parsed = feedparser.parse(client.get(f"{base}/feed/{i}").content)
        new = 0
        for entry in parsed.entries:
            if entry.link in seen:
                continue
            seen.add(entry.link)
            trafilatura.extract(client.get(entry.link).content)
            new += 1
        return new

    rows = []
    for r in range(rounds):
        generation.value = r
        before = (stats[0], stats[1], cpu(), time.perf_counter())
        with ThreadPoolExecutor(4) as pool:
            new = sum(pool.map(one, range(sources)))
        rows.append(
            (
                r,
                stats[0] - before[0],
                stats[1] - before[1],
                cpu() - before[2],
                time.perf_counter() - before[3],
                new,
            )
        )
    out.put(
        (
            "bare httpx+feedparser+trafilatura",
            rows,
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        )
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sources", type=int, default=200)
    ap.add_argument("--items", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    ctx = mp.get_context("spawn")
    port, stats, generation = ctx.Value("i", 0), ctx.Array("q", 2), ctx.Value("i", 0)
    server = ctx.Process(target=serve, args=(port, stats, generation, args.items), daemon=True)
    server.start()
    while not port.value:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port.value}"
    print(
        f"{args.sources} sources x {args.items} items; odd sources gain one story a round, "
        f"even ones never change; {args.rounds} rounds\n"
    )
    print(
        f"{'poller':<36} {'round':>5} {'requests':>9} {'bytes':>11} {'cpu s':>7} "
        f"{'wall s':>7} {'new':>5} {'peak RSS':>9}"
    )
    for runner in (run_archiver, run_bare):
        out = ctx.Queue()
        proc = ctx.Process(
            target=runner, args=(base, args.sources, args.rounds, generation, stats, out)
        )
        proc.start()
        name, rows, maxrss = out.get()
        proc.join()
        for r, requests, sent, cpu_s, wall, new in rows:
            label = "first" if r == 0 else f"steady {r}"
            print(
                f"{name:<36} {label:>5} {requests:>9} {sent:>11} {cpu_s:>7.2f} {wall:>7.2f} "
                f"{new:>5} {maxrss / 1024:>7.0f}MB"
            )
    server.terminate()
    return 0


if __name__ == "__main__":
    sys.exit(main())
