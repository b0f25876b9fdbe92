"""Pages per second: archiver.extract.extract against trafilatura.bare_extraction.

Same pages, same process, same run: every corpus page, then the pages a site rule covers.
Reads the real pages from ../shared/corpus at run time (nothing is copied into the repo).

    .venv/bin/python bench/extract.py [--rounds 3] [--n PAGES]
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import trafilatura

from archiver.extract import builtin_rules, extract, find_rule

SHARED = Path(__file__).resolve().parents[2] / "shared"
MANIFEST = SHARED / "corpus" / "manifest.jsonl"


def load() -> list[tuple[bytes, str]]:
    pages = []
    for line in MANIFEST.read_text(encoding="utf-8").splitlines():
        if line.strip():
            entry = json.loads(line)
            raw = (MANIFEST.parent / entry["html"]).read_bytes()
            pages.append((gzip.decompress(raw), entry["url"]))
    return pages


def ours(html: bytes, url: str) -> object:
    return extract(html, url)


def theirs(html: bytes, url: str) -> object:
    return trafilatura.bare_extraction(html, url=url, with_metadata=True)


def rate(run: Callable[[bytes, str], object], pages: list[tuple[bytes, str]], rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for html, url in pages:
            run(html, url)
        best = min(best, time.perf_counter() - start)
    return len(pages) / best if best else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="best of N rounds per cell")
    parser.add_argument("--n", type=int, help="only the first N corpus pages (default: all)")
    args = parser.parse_args()
    if not MANIFEST.exists():
        print(f"no corpus at {MANIFEST}", file=sys.stderr)
        return 1
    pages = load()[: args.n]
    ruled = [(h, u) for h, u in pages if find_rule(builtin_rules(), u)]
    for html, url in pages[:3]:  # warm-up: imports, caches
        ours(html, url)
        theirs(html, url)
    print(f"{'pages':<22} {'n':>4} {'archiver p/s':>13} {'trafilatura p/s':>16} {'ratio':>7}")
    for name, subset in (("all corpus pages", pages), ("site-rule pages", ruled)):
        a = rate(ours, subset, args.rounds)
        t = rate(theirs, subset, args.rounds)
        print(f"{name:<22} {len(subset):>4} {a:>13.1f} {t:>16.1f} {a / t:>6.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
