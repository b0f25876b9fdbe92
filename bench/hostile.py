"""Time and peak memory of issue 16's hostile inputs, one per fresh process.

Each input is handed to the function it hits: 300 gzip members to the fetcher's decoder,
100,000 attributes on a feed root to ``parse_feed`` and on a ``<div>`` to ``parse_page``,
100,000 feed items to ``parse_feed``, an 800,000-URL sitemap to ``parse_sitemap``. The peer
in the same run is another source tree (main, before the fix), given with ``--peer``:

    .venv/bin/python bench/hostile.py --peer ../main/src [--limit 400]

Each line: tree, input, seconds, peak RSS (VmHWM, with the document built in the process),
what came out; "killed" when the input ran past ``--limit`` seconds.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

INPUTS = ("gzip300", "feedroot", "feed100k", "pagediv", "sitemap800k")

ONE = r"""
import gzip, re, sys, time
name = sys.argv[1]
many = " ".join(f'a{i}="x"' for i in range(100_000))
def peak():
    return int(re.search(r"VmHWM:\s+(\d+)", open("/proc/self/status").read())[1]) // 1024
def feed(items, root=""):
    body = "".join(f"<item><title>t{i}</title><link>http://x/a/{i}</link></item>"
                   for i in range(items))
    return (f'<?xml version="1.0"?><rss version="2.0" {root}><channel>{body}'
            "</channel></rss>").encode()
t = time.monotonic()
try:
    if name == "gzip300":
        from archiver.fetch.codings import decoding_reader
        class Raw:
            def __init__(self, data): self.data = data
            def read(self, n):
                out, self.data = self.data[:n], self.data[n:]
                return out
        reader, size = decoding_reader(Raw(gzip.compress(b"\0" * 70000) * 300), "gzip"), 0
        while piece := reader.read(65536):
            size += len(piece)
            if size > 15 * 2**20:
                break
        out = f"{size} bytes decoded (stopped past 15 MiB)"
    elif name == "feedroot":
        from archiver.listings import parse_feed
        out = f"{len(parse_feed(feed(1, many), 'http://x/').links)} links"
    elif name == "feed100k":
        from archiver.listings import parse_feed
        out = f"{len(parse_feed(feed(100_000), 'http://x/').links)} links"
    elif name == "pagediv":
        from archiver.listings import parse_page
        doc = f'<html><body><div {many}>x</div><a href="/a/1">t</a></body></html>'.encode()
        out = f"{len(parse_page(doc, 'http://x/', links=re.compile('/a/')).links)} links"
    else:
        from archiver.listings import parse_sitemap
        doc = b"<urlset>" + b"".join(
            b"<url><loc>https://news.example.org/world/2026/11/story-%d.html</loc>"
            b"<lastmod>2026-11-01T00:00:00Z</lastmod></url>" % i for i in range(800_000)
        ) + b"</urlset>"
        out = f"{len(parse_sitemap(doc, 'http://x/').links)} links from {len(doc)} bytes"
except Exception as exc:
    out = f"{type(exc).__name__}: {str(exc)[:70]}"
print(f"{time.monotonic() - t:.2f} s\t{peak()} MB\t{out}")
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--peer", type=Path, required=True, help="another src/ tree (main)")
    parser.add_argument("--limit", type=float, default=400.0, help="seconds per input")
    parser.add_argument("--only", choices=INPUTS, action="append", help="inputs to run")
    args = parser.parse_args()
    trees = {"this": Path(__file__).resolve().parent.parent / "src", "peer": args.peer}
    for name in args.only or INPUTS:
        for label, tree in trees.items():
            env = {**os.environ, "PYTHONPATH": str(tree)}
            try:
                done = subprocess.run(
                    [sys.executable, "-c", ONE, name],
                    capture_output=True,
                    text=True,
                    env=env,
                    timeout=args.limit,
                )
                result = done.stdout.strip() or done.stderr.strip().splitlines()[-1]
            except subprocess.TimeoutExpired:
                result = f"killed after {args.limit:g} s"
            print(f"{label}\t{name}\t{result}", flush=True)


if __name__ == "__main__":
    main()
