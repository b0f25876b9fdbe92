"""The reading room's pages (issue 11) against Datasette's own pages, on the same server.

Builds an archive of N synthetic articles with ``bench/search.py``'s loader (the project's
own Store, FTS5 by triggers), starts Datasette in this process set up as ``archiver serve``
sets it up (metadata, settings, archiver's plugin), and times, interleaved in the same run:

* the landing view ``/archive/articles`` (50 stories, five facets, archiver's template)
  against Datasette's own table page ``/archive/articles?_view=table`` (same rows, facets
  and sort; Datasette's template and every column);
* the ranked search page ``/-/search?q=W`` (``archiver.search.search`` + ``count`` in a
  thread, 20 hits with highlighted passages) against Datasette's table search
  ``/archive/articles?_search=W&_view=table`` (FTS5 match, newest first, 50 rows, facets).

Usage: .venv/bin/python bench/serve.py [--n 50000] [--db PATH] [--reuse] [--runs 30]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from archiver.serve.app import SETTINGS, load_metadata, register_plugin
from search import load, percentile

WORDS = ("ceasefire", "minister", "cooperation", "inflation")


FAILED: dict[str, int] = {}  # path -> answers that were not 200 (Datasette's time limit)


async def _time(ds: Any, path: str) -> float:
    t0 = time.perf_counter()
    response = await ds.client.get(path)
    spent = (time.perf_counter() - t0) * 1000
    if response.status_code != 200:
        FAILED[path] = FAILED.get(path, 0) + 1
    return spent


async def run(db: Path, runs: int) -> list[tuple[str, list[float], str, list[float]]]:
    from datasette.app import Datasette

    register_plugin()
    settings = {k: {"on": True, "off": False}.get(str(v), v) for k, v in SETTINGS.items()}
    ds = Datasette([str(db)], metadata=load_metadata(db.stem), settings=settings)
    name = db.stem
    pairs = [
        ("landing view", f"/{name}/articles", "Datasette table", f"/{name}/articles?_view=table")
    ]
    for word in WORDS:
        pairs.append(
            (
                f"search {word!r}",
                f"/-/search?q={word}",
                "Datasette ?_search",
                f"/{name}/articles?_search={word}&_view=table",
            )
        )
    results = []
    for ours_name, ours, peer_name, peer in pairs:
        await _time(ds, ours)  # warm the page cache
        await _time(ds, peer)
        a: list[float] = []
        b: list[float] = []
        for _ in range(runs):
            a.append(await _time(ds, ours))
            b.append(await _time(ds, peer))
        results.append((ours_name, a, peer_name, b))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=50_000, help="articles to load")
    parser.add_argument("--db", type=Path, help="archive path (default: a temporary folder)")
    parser.add_argument("--reuse", action="store_true", help="use an existing --db, no load")
    parser.add_argument("--runs", type=int, default=30, help="timed requests per page")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-serve-") as tmp:
        db = args.db or Path(tmp) / "archive.db"
        if not args.reuse:
            print(f"loading {args.n:,} articles into {db}", flush=True)
            load(db, args.n, args.seed)
        results = asyncio.run(run(db, args.runs))
    print(f"\n{args.runs} requests each, interleaved, in-process (ms):")
    print(f"{'page':<24} {'p50':>7} {'p95':>7}   {'peer':<20} {'p50':>7} {'p95':>7}  ratio p50")
    for ours_name, a, peer_name, b in results:
        pa, pb = percentile(a, 0.5), percentile(b, 0.5)
        print(
            f"{ours_name:<24} {pa:7.1f} {percentile(a, 0.95):7.1f}   {peer_name:<20} "
            f"{pb:7.1f} {percentile(b, 0.95):7.1f}  {pa / pb:8.2f}x"
        )
    for path, n in FAILED.items():
        print(f"not 200 (SQL time limit): {n} of {args.runs + 1} for {path}")


if __name__ == "__main__":
    main()
