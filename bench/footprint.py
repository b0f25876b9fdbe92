"""The daemon's memory: after start, over a soak of frequent polls, and at the peak of a poll
of hostile sources (a drip, a gzip bomb, an endless body) beside good ones.

Each measurement runs once per source tree given (``--src``; default this checkout and, when
it exists, ../main/src as the peer), in the same run against the same local servers:

* soak: ``archiver run`` on 20 feeds of the fixture site polled every second (tick 0.2 s)
  for ``--seconds``; the daemon's RSS 5 s after start and at the end, the number of polls,
  and the extraction workers' share (PSS of the daemon's whole process tree, so pages the
  forked workers share are counted once);
* fault poll: ``archiver poll`` of the three good fixture sources and the three hostile
  servers; the peak RSS (VmHWM) of the polling process, and the peak PSS of its process
  tree (with the extraction forkserver and workers), sampled every 0.2 s.

    .venv/bin/python bench/footprint.py [--seconds 120] [--src src --src ../main/src]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from servers import Server, drip, encoded, endless, gzip_bomb, ok  # noqa: E402
from sitefixture import serve_site  # noqa: E402

FIXTURES = HERE.parent / "tests" / "fixtures" / "site"
PEAK = (
    "import atexit, re, sys\n"
    "def peak():\n"
    "    status = open('/proc/self/status').read()\n"
    "    sys.stderr.write('VMHWM_KB %s\\n' % re.search(r'VmHWM:\\s+(\\d+)', status)[1])\n"
    "atexit.register(peak)\n"
    "from archiver.cli import main\n"
    "sys.argv = ['archiver', *sys.argv[1:]]\n"
    "main()\n"
)


def status_kb(pid: int, key: str) -> int:
    text = Path(f"/proc/{pid}/status").read_text()
    found = re.search(rf"{key}:\s+(\d+)", text)
    return int(found[1]) if found else 0


def tree(pid: int) -> list[int]:
    out = [pid]
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            for child in (task / "children").read_text().split():
                out += tree(int(child))
    return out


def pss_kb(pid: int) -> int:
    with contextlib.suppress(OSError):
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
        found = re.search(r"^Pss:\s+(\d+)", text, re.M)
        return int(found[1]) if found else 0
    return 0


def env_for(src: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(src), "PYTHONUNBUFFERED": "1"}


def soak(src: Path, base: str, seconds: float, root: Path) -> dict[str, float]:
    # the fixture site's feed, served without caching hints so each feed is due every second
    rss = (FIXTURES / "rss" / "v2.xml").read_bytes().replace(b"{base}", base.encode())
    rss = re.sub(rb"<ttl>[^<]*</ttl>", b"", rss)
    server = Server({"/feed.xml": ok(rss, headers=[("Content-Type", "application/rss+xml")])})
    server.__enter__()
    feeds = "".join(
        f'[[sources]]\nname = "feed{i}"\nurl = "{server.url("/feed.xml")}"\nevery = "1s"\n'
        "revisit = []\n"
        for i in range(20)
    )
    config = root / "soak.toml"
    config.write_text(
        f'[archive]\npath = "soak.db"\ncaptures = "soak-captures"\n'
        f'[http]\nallow_private = true\ndelay = 0\n[daemon]\ntick = "0.2s"\n{feeds}',
        encoding="utf-8",
    )
    log = (root / "soak.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "archiver", "run", "--config", str(config)],
        stdout=log,
        stderr=log,
        env=env_for(src),
    )
    try:
        time.sleep(5)
        start_rss = status_kb(proc.pid, "VmRSS")
        start_pss = sum(pss_kb(p) for p in tree(proc.pid))
        samples, pss_samples = [start_rss], [start_pss]
        t_end = time.monotonic() + seconds - 5
        while time.monotonic() < t_end:
            time.sleep(min(5, max(0.1, t_end - time.monotonic())))
            samples.append(status_kb(proc.pid, "VmRSS"))
            pss_samples.append(sum(pss_kb(p) for p in tree(proc.pid)))
        end_rss = status_kb(proc.pid, "VmRSS")
        processes = tree(proc.pid)
        total_pss = sum(pss_kb(p) for p in processes)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
        server.close()
    polls = (root / "soak.log").read_text().count('"msg": "poll"')
    half = len(samples) // 2  # the second half of the soak: is it flat?
    return {
        "start": start_rss / 1024,
        "end": end_rss / 1024,
        "max": max(samples) / 1024,
        "late_growth": (samples[-1] - min(samples[half:])) / 1024,
        "tree_start": start_pss / 1024,
        "tree_max": max(pss_samples) / 1024,
        "tree_pss": total_pss / 1024,
        "processes": len(processes),
        "polls": polls,
    }


def fault_poll(src: Path, site_base: str, root: Path) -> tuple[float, float]:
    """The poll process's peak RSS (VmHWM) and the peak PSS of its process tree (sampled
    every 0.2 s: the polling process, the forkserver and the extraction workers)."""
    bomb = gzip_bomb(1024 * 1024 * 1024)
    servers = {
        "drip": Server({"/feed.xml": drip(0.5)}),
        "bomb": Server({"/feed.xml": encoded(bomb, "gzip")}),
        "endless": Server({"/feed.xml": endless()}),
    }
    for server in servers.values():
        server.__enter__()
    try:
        faulty = "".join(
            f'[[sources]]\nname = "{n}"\nurl = "{s.url("/feed.xml")}"\n' for n, s in servers.items()
        )
        config = root / f"faults-{abs(hash(str(src)))}.toml"
        config.write_text(
            f'[archive]\npath = "{config.stem}.db"\ncaptures = "{config.stem}-captures"\n'
            "[http]\nallow_private = true\ndelay = 0\ntimeout = 3\n"
            f'[[sources]]\nname = "tass-en"\nurl = "{site_base}/rss/v2.xml"\n'
            f'[[sources]]\nname = "reuters"\nkind = "sitemap"\n'
            f'url = "{site_base}/arc/outboundfeeds/news-sitemap/"\n'
            f'[[sources]]\nname = "ap-world"\nkind = "page"\nurl = "{site_base}/hub/world-news"\n'
            "links = '/article/[a-z0-9-]+-[0-9a-f]{32}$'\n" + faulty,
            encoding="utf-8",
        )
        with tempfile.TemporaryFile("w+") as err:
            proc = subprocess.Popen(
                [sys.executable, "-c", PEAK, "poll", "--config", str(config)],
                stdout=subprocess.DEVNULL,
                stderr=err,
                text=True,
                env=env_for(src),
            )
            tree_peak = 0
            deadline = time.monotonic() + 300
            while proc.poll() is None and time.monotonic() < deadline:
                with contextlib.suppress(OSError):
                    tree_peak = max(tree_peak, sum(pss_kb(p) for p in tree(proc.pid)))
                time.sleep(0.2)
            proc.wait(timeout=30)
            err.seek(0)
            stderr = err.read()
    finally:
        for server in servers.values():
            server.close()
    return int(stderr.rsplit("VMHWM_KB ", 1)[1].split()[0]) / 1024, tree_peak / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--src", type=Path, action="append")
    args = parser.parse_args()
    trees = args.src or [p for p in (HERE.parent / "src", HERE.parent.parent / "main" / "src")]
    trees = [t.resolve() for t in trees if t.is_dir()]
    rows = []
    for src in trees:
        with serve_site(FIXTURES) as site, tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            s = soak(src, site.base_url, args.seconds, root)
            peak, tree_peak = fault_poll(src, site.base_url, root)
        rows.append((src, s, peak, tree_peak))
    print(
        "| source tree | daemon RSS 5 s after start | at end | max sampled | growth over the"
        " second half | polls | tree PSS (daemon + extraction processes) 5 s / max / end |"
        " processes at end | fault poll peak RSS | fault poll tree peak PSS |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for src, s, peak, tree_peak in rows:
        print(
            f"| {src} | {s['start']:.0f} MB | {s['end']:.0f} MB | {s['max']:.0f} MB |"
            f" {s['late_growth']:+.1f} MB | {s['polls']:.0f} | {s['tree_start']:.0f} /"
            f" {s['tree_max']:.0f} / {s['tree_pss']:.0f} MB | {s['processes']:.0f} |"
            f" {peak:.0f} MB | {tree_peak:.0f} MB |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
