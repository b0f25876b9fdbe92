"""PostgreSQL against SQLite, in one run: daemons sharing an archive, search latency, kill -9.

* Polling: ``HOSTS`` local HTTP servers on 127.0.0.1 (one port = one host; a separate
  process), each with an RSS feed of ``--per-host`` generated article pages, every host
  polite (``[http] delay``). 1, 2 and 4 ``archiver run`` daemons on one PostgreSQL archive,
  and the same on one SQLite archive: articles/s over the wall clock from the daemons'
  start to the last article filed (interpreter start-up included), transactions and
  connections the PostgreSQL server saw (``pg_stat_database``, ``pg_stat_activity``).
* kill -9: two daemons on PostgreSQL, one killed when a third of the articles are filed;
  articles lost (not archived when the survivor is done), archived twice (revisions beyond
  one per article), article pages fetched twice (the server's own count).
* Search: the same ``--search-n`` generated articles loaded into both backends (SQLite with
  ``Store.add_articles``, PostgreSQL with ``archiver copy`` of it), then ``archiver.search``
  of the same queries on each: p50/p95 per call, as the CLI makes it (open, query, close).

    .venv/bin/python bench/pg.py [--hosts 16] [--per-host 15] [--delay 0.2] [--search-n 20000]

(``--search-n 0``: no search part; ``--skip-poll``: no polling part.) Where no PostgreSQL
server can be started it prints one line saying why and exits 0 (``make bench`` goes on).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Thread
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

WORDS = (
    "minister talks border trade summit election court ruling storm flood harvest market"
    " shares oil gas pipeline treaty protest strike port ship railway bridge vaccine hospital"
    " drought wildfire glacier walrus satellite rocket parliament budget tariff currency"
    " bank inflation export import festival museum football league coach striker"
).split()


def page(host: int, i: int, rand: random.Random) -> bytes:
    words = " ".join(rand.choice(WORDS) for _ in range(220))
    title = " ".join(rand.choice(WORDS) for _ in range(6))
    paras = "".join(f"<p>{words[k : k + 300]}.</p>" for k in range(0, len(words), 300))
    return (
        f"<!DOCTYPE html><html lang='en'><head><title>{title}</title>"
        f"<meta property='og:title' content='Host {host} story {i}: {title}'>"
        "<meta property='article:published_time' content='2024-05-16T09:00:00Z'>"
        f"</head><body><article><h1>Host {host} story {i}: {title}</h1>{paras}"
        f"<p>Story number {i} of host {host}, code h{host}s{i}.</p></article></body></html>"
    ).encode()


def serve(hosts: int, per_host: int, ports: Any, counts: Any) -> None:
    """A process of ``hosts`` servers; ``counts[h * per_host + i]``: GETs of each article."""
    rand = random.Random(7)
    pages = {(h, i): page(h, i, rand) for h in range(hosts) for i in range(per_host)}

    def handler(h: int) -> type[BaseHTTPRequestHandler]:
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                base = f"http://127.0.0.1:{self.connection.getsockname()[1]}"
                if self.path == "/feed.xml":
                    items = "".join(
                        f"<item><title>s{i}</title><link>{base}/a/{i}</link><guid>{h}-{i}</guid>"
                        "<pubDate>Thu, 16 May 2024 09:00:00 GMT</pubDate></item>"
                        for i in range(per_host)
                    )
                    body = (
                        "<?xml version='1.0'?><rss version='2.0'><channel>"
                        f"<title>h{h}</title>{items}</channel></rss>"
                    ).encode()
                    kind = "application/rss+xml"
                elif self.path.startswith("/a/") and self.path[3:].isdigit():
                    i = int(self.path[3:])
                    if i >= per_host:
                        self.send_error(404)
                        return
                    with counts.get_lock():
                        counts[h * per_host + i] += 1
                    body, kind = pages[(h, i)], "text/html; charset=utf-8"
                else:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler

    servers = [ThreadingHTTPServer(("127.0.0.1", 0), handler(h)) for h in range(hosts)]
    for h, server in enumerate(servers):
        ports[h] = server.server_address[1]
        Thread(target=server.serve_forever, daemon=True).start()
    while True:
        time.sleep(3600)


def config(root: Path, archive: str, ports: list[int], delay: float) -> Path:
    where = f'url = "{archive}"' if archive.startswith("postgresql") else f'path = "{archive}"'
    sources = "".join(
        f'[[sources]]\nname = "h{h}"\nkind = "feed"\nurl = "http://127.0.0.1:{p}/feed.xml"\n'
        'every = "1h"\nrevisit = []\n'
        for h, p in enumerate(ports)
    )
    path = root / "config.toml"
    path.write_text(
        f"""[archive]
{where}
captures = "captures"
[http]
allow_private = true
delay = {delay}
obey_robots = false
timeout = 20
[daemon]
tick = "0.2s"
workers = 4
extract_workers = 0
max_articles = 100000
{sources}""",
        encoding="utf-8",
    )
    return path


def start(cfg: Path) -> subprocess.Popen[bytes]:
    cli = Path(sys.executable).with_name("archiver")
    return subprocess.Popen(
        [str(cli), "run", "--config", str(cfg)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def open_archive(archive: str) -> Any:
    from archiver.store.core import Store
    from archiver.store.pg.core import PgStore

    return PgStore(archive) if archive.startswith("postgresql") else Store(Path(archive))


def pg_stats(url: str) -> tuple[int, int]:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT xact_commit, (SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database()) FROM pg_stat_database"
            " WHERE datname = current_database()"
        ).fetchone()
        assert row is not None
        return int(row[0]), int(row[1]) - 1


def run_daemons(
    archive: str,
    root: Path,
    ports: list[int],
    delay: float,
    n: int,
    total: int,
    *,
    kill_at: float | None = None,
) -> dict[str, Any]:
    root.mkdir(parents=True)
    cfg = config(root, archive, ports, delay)
    store = open_archive(archive)
    store.migrate()
    is_pg = archive.startswith("postgresql")
    before = pg_stats(archive)[0] if is_pg else 0
    peak = 0
    t0 = time.perf_counter()
    procs = [start(cfg) for _ in range(n)]
    killed = False
    try:
        while True:
            done = store.count_articles()
            if is_pg:
                peak = max(peak, pg_stats(archive)[1])
            if kill_at is not None and not killed and done >= kill_at * total:
                procs[0].send_signal(signal.SIGKILL)
                procs[0].wait()
                killed = True
            if done >= total or time.perf_counter() - t0 > 600:
                break
            time.sleep(0.1)
        elapsed = time.perf_counter() - t0
        revisions = int(store.conn.execute("SELECT count(*) FROM revisions").fetchone()[0])
        done = store.count_articles()
    finally:
        for p in procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        codes = [p.wait(timeout=60) for p in procs]
        store.close()
    out: dict[str, Any] = {
        "articles": done,
        "seconds": elapsed,
        "per_s": done / elapsed,
        "twice": revisions - done,
        "codes": codes,
    }
    if is_pg:
        out["xacts_per_article"] = (pg_stats(archive)[0] - before) / max(done, 1)
        out["connections"] = peak
    return out


def search_bench(tmp: Path, cluster: Any, n: int) -> None:
    from archiver.models import Article
    from archiver.search import search
    from archiver.store.core import Store, article_row
    from archiver.store.pg.copy import copy_archive
    from archiver.store.pg.core import PgStore
    from archiver.timeutil import utcnow

    rand = random.Random(11)
    db = tmp / "search.db"
    lite = Store(db)
    lite.migrate()
    now = utcnow()
    langs = ("en", "en", "en", "de", "fr")

    def rows() -> Any:
        for i in range(n):
            body = " ".join(rand.choice(WORDS) for _ in range(150)) + f" code c{i}."
            title = " ".join(rand.choice(WORDS) for _ in range(6))
            art = Article(
                url=f"https://s{i % 50}.test/a/{i}", title=title, body=body, language=langs[i % 5]
            )
            yield article_row(art, source=f"s{i % 50}", fetched_url=None, seen_at=now)

    t = time.perf_counter()
    lite.add_articles(rows())
    print(f"  loaded {n} articles into SQLite in {time.perf_counter() - t:.1f} s")
    url = cluster.new_database()
    t = time.perf_counter()
    with Store(db, readonly=True) as src, PgStore(url) as dest:
        copy_archive(src, dest, batch=5000)
    print(f"  archiver copy to PostgreSQL: {time.perf_counter() - t:.1f} s")
    lite.close()
    queries = [
        "walrus",
        "oil pipeline",
        '"trade summit"',
        "title:election",
        "storm OR flood",
        "vacc*",
        "bank -inflation",
        "source:s3 harvest",
        "glacier satellite rocket",
        "football league coach",
        "c12345",
        "museum festival -football",
    ]
    for name, target in (("SQLite", db), ("PostgreSQL", url)):
        times = []
        agree = []
        for _ in range(5):
            for q in queries:
                t = time.perf_counter()
                hits = search(target, q, limit=20)
                times.append((time.perf_counter() - t) * 1000)
                agree.append(len(hits))
        times.sort()
        p95 = times[int(len(times) * 0.95) - 1]
        print(
            f"  search {name:10s} p50 {statistics.median(times):7.1f} ms  p95 {p95:7.1f} ms"
            f"  ({len(times)} calls, {sum(agree)} hits)"
        )
    same = all(
        {h.url for h in search(db, q, limit=200, sort="newest")}
        == {h.url for h in search(url, q, limit=200, sort="newest")}
        for q in queries
    )
    print(f"  same hits on both backends (newest 200 of each query): {same}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hosts", type=int, default=16)
    parser.add_argument("--per-host", type=int, default=15)
    parser.add_argument("--delay", type=float, default=0.2)
    parser.add_argument("--search-n", type=int, default=20000)
    parser.add_argument("--skip-poll", action="store_true")
    args = parser.parse_args()
    from pgcluster import start_cluster

    cluster, why = start_cluster()
    if cluster is None:  # `make bench` goes on with the others
        print(f"bench/pg.py: skipped, no PostgreSQL server can be started here: {why}")
        return 0
    ctx = mp.get_context("fork")
    ports = ctx.Array("i", args.hosts)
    total = args.hosts * args.per_host
    counts = ctx.Array("i", total)
    server = ctx.Process(target=serve, args=(args.hosts, args.per_host, ports, counts), daemon=True)
    server.start()
    while not all(ports[:]):
        time.sleep(0.05)
    tmp = Path(tempfile.mkdtemp(prefix="archiver-bench-pg-"))
    try:
        if not args.skip_poll:
            print(
                f"polling: {args.hosts} hosts x {args.per_host} articles, delay {args.delay}s,"
                f" 4 polls per daemon; floor {args.per_host * args.delay:.1f} s per host"
            )
            for backend in ("PostgreSQL", "SQLite"):
                for n in (1, 2, 4):
                    archive = (
                        cluster.new_database()
                        if backend == "PostgreSQL"
                        else str(tmp / f"lite-{n}" / "archive.db")
                    )
                    for k in range(total):
                        counts[k] = 0
                    r = run_daemons(archive, tmp / f"{backend}-{n}", ports[:], args.delay, n, total)
                    extra = (
                        f", {r['xacts_per_article']:.1f} transactions/article,"
                        f" {r['connections']} connections at peak"
                        if "connections" in r
                        else ""
                    )
                    print(
                        f"  {backend:10s} {n} daemon(s): {r['articles']}/{total} in"
                        f" {r['seconds']:.1f} s = {r['per_s']:.1f} articles/s,"
                        f" archived twice {r['twice']}, pages fetched twice"
                        f" {sum(max(c - 1, 0) for c in counts[:])}{extra}, exits {r['codes']}"
                    )
            for k in range(total):
                counts[k] = 0
            url = cluster.new_database()
            r = run_daemons(url, tmp / "kill", ports[:], args.delay, 2, total, kill_at=1 / 3)
            print(
                f"  kill -9 of 1 of 2 PostgreSQL daemons at 1/3: {r['articles']}/{total} in"
                f" {r['seconds']:.1f} s = {r['per_s']:.1f} articles/s, lost"
                f" {total - r['articles']}, archived twice {r['twice']}, pages fetched twice"
                f" {sum(max(c - 1, 0) for c in counts[:])}, survivor exit {r['codes'][1]}"
            )
        if args.search_n:
            print(f"search on {args.search_n} articles:")
            search_bench(tmp, cluster, args.search_n)
    finally:
        server.kill()
        cluster.stop()
        shutil.rmtree(cluster.root, ignore_errors=True)
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
