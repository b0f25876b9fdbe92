"""Where the polling process's time goes per article: ``archiver poll`` under cProfile in
every thread (the polling thread and the fetching threads), on the corpus pages replayed as
``bench/ingest.py`` serves them, for each source tree given (``--src``; default this
checkout and ../main/src, the peer before the change), in the same run.

    .venv/bin/python bench/profile_poll.py [--workers 2] [--copies 4] [--top 0]
        [--src src --src ../main/src]

One row per tree: CPU ms per article in the polling process (all its threads) for the
stages that cost it, the process's whole CPU per article, and fsync calls per article.
"""

from __future__ import annotations

import argparse
import os
import pstats
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from ingest import ARCHIVED, DEFAULT_CORPUS, config, load_pages, start_server  # noqa: E402

# every thread runs under its own profiler; the stats are merged when the command ends
RUN = r"""
import cProfile, sys, threading, time
profiles = []
_run = threading.Thread.run
def run(self):
    profile = cProfile.Profile(time.thread_time)  # CPU time of this thread
    profiles.append(profile)
    profile.runcall(_run, self)
threading.Thread.run = run
main_profile = cProfile.Profile(time.thread_time)
profiles.append(main_profile)
from archiver.cli import main
sys.argv = ["archiver", *sys.argv[2:]]
try:
    main_profile.runcall(main)
except SystemExit:
    pass
finally:
    import pstats
    stats = pstats.Stats(profiles[0])
    for p in profiles[1:]:
        try:
            stats.add(p)
        except TypeError:
            pass
    stats.dump_stats(OUT)
"""

STAGES = {  # stage: (file suffix, function name) whose cumulative time it is
    "fetch (HTTP)": ("fetch/client.py", "get"),
    "WARC write (gzip)": ("capture/writer.py", "write"),
    "extraction in this process": ("extract/core.py", "extract"),
    "search analysis": ("search/analyzer.py", "analyze"),
    "dedup keys": ("dedup/filing.py", "story_keys"),
    "store.save_article (SQL, analysis, keys)": ("store/core.py", "save_article"),
}


def stage_ms(path: Path, articles: int) -> dict[str, float]:
    stats = pstats.Stats(str(path))
    found = dict.fromkeys(STAGES, 0.0)
    fsyncs = 0
    for (file, _line, name), row in stats.stats.items():  # type: ignore[attr-defined]
        if name == "<built-in method posix.fsync>":
            fsyncs += row[1]
        for stage, (suffix, func) in STAGES.items():
            if name == func and file.endswith(suffix):
                found[stage] += row[3]  # cumulative seconds
    per = {k: v * 1000 / max(articles, 1) for k, v in found.items()}
    per["all CPU"] = stats.total_tt * 1000 / max(articles, 1)  # type: ignore[attr-defined]
    per["fsyncs"] = fsyncs / max(articles, 1)
    return per


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--src", type=Path, action="append")
    parser.add_argument("--limit", type=int, default=0, help="serve only this many pages")
    parser.add_argument("--copies", type=int, default=1, help="copies of the corpus served")
    parser.add_argument("--top", type=int, default=0, help="print the N costliest functions")
    args = parser.parse_args()
    if not (args.corpus / "manifest.jsonl").is_file():
        print(f"no corpus at {args.corpus}", file=sys.stderr)
        return 2
    trees = args.src or [HERE.parent / "src", HERE.parent.parent / "main" / "src"]
    trees = [t.resolve() for t in trees if t.is_dir()]
    pages = load_pages(args.corpus, args.copies)
    if args.limit:
        pages = pages[: args.limit]
    server, base = start_server(pages)
    rows = []
    try:
        for n, src in enumerate(trees):
            with tempfile.TemporaryDirectory() as tmp:
                root = Path(tmp)
                cfg = config(root, base, args.workers)
                out = root / "poll.prof"
                env = {**os.environ, "PYTHONPATH": str(src)}
                code = f"OUT = {str(out)!r}\n" + RUN
                done = subprocess.run(
                    [sys.executable, "-c", code, "-", "poll", "--config", str(cfg)],
                    capture_output=True,
                    text=True,
                    env=env,
                    timeout=1800,
                )
                if not out.is_file():
                    raise SystemExit(f"no profile from {src}: {done.stderr[-2000:]}")
                new = sum(done.stderr.count(f'"outcome": "{o}"') for o in ARCHIVED)
                rows.append((f"{src} ({n})", new, stage_ms(out, new)))
                if args.top:
                    stats = pstats.Stats(str(out))
                    stats.sort_stats("tottime").print_stats(args.top)
    finally:
        server.kill()
    print(f"{len(pages)} real pages, extract_workers = {args.workers}; ms per article filed")
    columns = [*STAGES, "all CPU"]  # all CPU: start-up and imports included
    print("| tree | articles | " + " | ".join(columns) + " | fsyncs per article |")
    print("| --- | --- |" + " --- |" * (len(columns) + 1))
    for name, new, ms in rows:
        cells = " | ".join(f"{ms[k]:.1f}" for k in columns)
        print(f"| {name} | {new} | {cells} | {ms['fsyncs']:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
