"""Ingest and re-extraction throughput on real pages, against bare single-process extract().

The corpus pages (../shared/corpus, read at run time) are served from a local replay on
127.0.0.1 (a separate process) under one news sitemap, politeness off (``allow_private``,
``delay = 0``). In one run this measures:

* bare: ``archiver.extract.extract()`` of the same bytes and URLs, one process, one core,
  measured again before each worker count (each ratio is to the bare run just before it);
* ``archiver poll`` end to end (listing, fetch, WARC capture, extraction, dedup, store) with
  ``extract_workers`` = 0 (extraction in the polling thread, as before), 1 and 2;
* ``archiver reextract`` of the archive each poll made, with the same worker counts.

Pages/s is pages archived (every page filed: new, revision, unchanged or alias) over the
command's own work (the poll's ``ms`` log field; the reextract run's wall time less the
interpreter start-up measured with ``--version``), and over the wall clock of the whole
command, start-up and worker warm-up included: ``--copies 4`` (356 pages) keeps the
forkserver's start-up a small part of the figure. CPU per page is given for the command's
own process and for all its processes (the extraction forkserver and workers, read from
/proc), figures a loaded machine does not distort as it does pages/s.

    .venv/bin/python bench/ingest.py [--corpus ../shared/corpus] [--copies 4] [--workers 0,1,2]
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import multiprocessing as mp
import os
import subprocess
import sys
import tempfile
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DEFAULT_CORPUS = HERE.parent.parent / "shared" / "corpus"


def load_pages(corpus: Path, copies: int) -> list[bytes]:
    """The corpus pages; each further copy gets a paragraph of its own before ``</body>``, so
    it is a new capture at a new URL (a new story where the extractor keeps that paragraph,
    else an alias of the first copy: filed all the same, and counted as archived)."""
    rows = [json.loads(line) for line in (corpus / "manifest.jsonl").open(encoding="utf-8")]
    bodies = [gzip.decompress((corpus / r["html"]).read_bytes()) for r in rows]
    out = list(bodies)
    for copy in range(1, copies):
        for i, body in enumerate(bodies):
            marker = f"<p>Copy {copy} of page {i}: an extra closing paragraph.</p></body>"
            out.append(body.replace(b"</body>", marker.encode(), 1))
    return out


def serve(pages: list[bytes], port_out: Any) -> None:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        wbufsize = 1 << 16

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            base = f"http://127.0.0.1:{self.connection.getsockname()[1]}"
            if self.path == "/sitemap.xml":
                urls = "".join(f"<url><loc>{base}/story/{i}</loc></url>" for i in range(len(pages)))
                body = (
                    "<?xml version='1.0' encoding='UTF-8'?><urlset"
                    f" xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>{urls}</urlset>"
                ).encode()
                kind = "application/xml"
            elif self.path.startswith("/story/"):
                body, kind = pages[int(self.path.rsplit("/", 1)[1])], "text/html"
            else:
                body, kind = b"", "text/plain"
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port_out.value = server.server_address[1]
    server.serve_forever()


def start_server(pages: list[bytes]) -> tuple[Any, str]:
    """``serve`` in a process of its own (spawned); returns it and its base URL."""
    ctx = mp.get_context("spawn")
    port = ctx.Value("i", 0)
    server = ctx.Process(target=serve, args=(pages, port), daemon=True)
    server.start()
    while not port.value:
        time.sleep(0.05)
    return server, f"http://127.0.0.1:{port.value}"


def bare(pages: list[bytes], base: str) -> tuple[float, int]:
    from archiver.extract import extract

    extract(pages[0], f"{base}/story/0")  # imports and lazy tables, as a warm worker has
    c0 = time.process_time()
    t0 = time.perf_counter()
    articles = 0
    for i, body in enumerate(pages):
        with contextlib.suppress(Exception):
            articles += extract(body, f"{base}/story/{i}").page_kind == "article"
    CPU["bare"] = time.process_time() - c0
    return time.perf_counter() - t0, articles


def config(root: Path, base: str, workers: int) -> Path:
    path = root / f"config-{workers}.toml"
    path.write_text(
        f"""
[archive]
path = "archive-{workers}.db"
captures = "captures-{workers}"
[http]
allow_private = true
delay = 0
obey_robots = false
[daemon]
extract_workers = {workers}
max_articles = 100000
[[sources]]
name = "replay"
kind = "sitemap"
url = "{base}/sitemap.xml"
revisit = []
""",
        encoding="utf-8",
    )
    return path


CPU: dict[str, float] = {}  # CPU seconds of the last command: its own process, its whole tree
TICK = os.sysconf("SC_CLK_TCK")


def _tree(pid: int) -> list[int]:
    out = [pid]
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError):
                for child in (task / "children").read_text().split():
                    out += _tree(int(child))
    return out


def _cpu_seconds(pid: int) -> float | None:
    """utime + stime of one live process (its threads included), from /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / TICK


def archiver(*args: str) -> tuple[float, str, str]:
    """Run one archiver command; CPU["last"] is its own process's CPU seconds, CPU["tree"]
    those of every process under it (the extraction forkserver and workers), sampled every
    50 ms (a worker that exits between two samples loses at most that much)."""
    cli = Path(sys.executable).with_name("archiver")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    t0 = time.perf_counter()
    seen: dict[int, float] = {}
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen([str(cli), *args], stdout=out, stderr=err, text=True, env=env)
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            for child in _tree(proc.pid)[1:]:
                cpu = _cpu_seconds(child)
                if cpu is not None:
                    seen[child] = max(seen.get(child, 0.0), cpu)
            time.sleep(0.05)
        proc.returncode = os.waitstatus_to_exitcode(status)
        CPU["last"] = usage.ru_utime + usage.ru_stime
        CPU["tree"] = CPU["last"] + sum(seen.values())
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if proc.returncode not in (0, 1):
        raise SystemExit(f"archiver {' '.join(args)} failed: {stderr[-2000:]}")
    return time.perf_counter() - t0, stdout, stderr


ARCHIVED = ("new", "revision", "unchanged", "alias")  # a page filed (not skipped or failed)


def poll_ms(stderr: str) -> tuple[int, int]:
    """The poll's own ms and the pages it archived: every ``article`` line filed as new, a
    revision, unchanged or an alias (a copy whose added paragraph the extractor leaves out
    of the body is an alias of the first, yet a page fetched, captured, extracted and filed
    like any other; the poll line's ``new`` alone undercounted ``--copies`` > 1)."""
    ms = archived = 0
    found = False
    for line in stderr.splitlines():
        if not line.startswith("{"):
            continue
        data = json.loads(line)
        if data.get("msg") == "article" and data.get("outcome") in ARCHIVED:
            archived += 1
        elif data.get("msg") == "poll":
            ms, found = int(data["ms"]), True
    if not found:
        raise SystemExit(f"no poll line in: {stderr[-2000:]}")
    return ms, archived


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--copies", type=int, default=1)
    parser.add_argument("--workers", default="0,1,2")
    args = parser.parse_args()
    if not (args.corpus / "manifest.jsonl").is_file():
        print(f"no corpus at {args.corpus}", file=sys.stderr)
        return 2
    pages = load_pages(args.corpus, args.copies)
    server, base = start_server(pages)
    rows: list[tuple[str, str, float, float | None, int, float, float]] = []
    references: list[float] = []  # bare rate of each group, for its ratios
    try:
        startup, _, _ = archiver("--version")
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            for workers in [int(w) for w in args.workers.split(",")]:
                # bare extraction again right before each group, so a load that drifts
                # during the run (a shared machine) hits both sides of a ratio alike
                seconds, articles = bare(pages, base)
                rate = len(pages) / seconds
                references += [rate] * 3
                rows.append(("bare extract()", "-", rate, None, articles, CPU["bare"], CPU["bare"]))
                cfg = config(root, base, workers)
                wall, _, err = archiver("poll", "--config", str(cfg))
                ms, new = poll_ms(err)
                polled = (new / (ms / 1000), new / wall, new, CPU["last"], CPU["tree"])
                rows.append(("archiver poll", str(workers), *polled))
                wall, out, _ = archiver("reextract", "--config", str(cfg))
                counts = {k: int(v) for k, v in (p.split(": ") for p in out.strip().split(", "))}
                done = sum(counts.get(k, 0) for k in ("new", "revision", "unchanged", "alias"))
                work = max(wall - startup, 1e-3)
                rows.append(
                    (
                        "archiver reextract",
                        str(workers),
                        done / work,
                        done / wall,
                        done,
                        CPU["last"],
                        CPU["tree"],
                    )
                )
    finally:
        server.kill()
    print(f"{len(pages)} real pages ({args.copies} copies of the corpus), {os.cpu_count()} cores")
    print(
        "| run | extract workers | pages/s (work) | ratio to bare | pages/s (wall) | pages"
        " | main-process CPU ms/page | all processes' CPU ms/page |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for row, reference in zip(rows, references, strict=True):
        name, pool, rate, wall_rate, count, cpu, tree_cpu = row
        wall_text = f"{wall_rate:.1f}" if wall_rate is not None else "-"
        per = 1000 / max(count, 1)
        print(
            f"| {name} | {pool} | {rate:.1f} | {rate / reference:.2f}x | {wall_text} | {count}"
            f" | {cpu * per:.0f} | {tree_cpu * per:.0f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
