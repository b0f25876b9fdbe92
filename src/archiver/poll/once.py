"""``archiver poll`` and ``archiver add``: one pass now, under leases, stopping promptly.

Each source is claimed (``store.leases``) before it is polled: a source another poller holds
(the daemon, a cron poll, a second terminal) is skipped with a "busy" report naming the
holder, so two pollers never fetch the same pages. When ``stop`` is set (Ctrl-C, SIGTERM,
SIGHUP: see ``poll.signals``) the workers stop between articles and every wait ends; the
pass waits ``grace`` seconds for them and returns what finished. Polls still running then
are listed in ``PollRun.abandoned`` (the caller exits without waiting for their threads).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Protocol

from archiver.capture import WarcWriter
from archiver.config import Config, SourceConfig
from archiver.errors import ArchiverError
from archiver.fetch import Fetcher
from archiver.logs import event, get_logger
from archiver.models import Link, PollReport
from archiver.poll.pipeline import PollContext, Progress, archive_link, poll_source
from archiver.poll.workers import ExtractPool, open_pool
from archiver.store import open_store
from archiver.store.leases import Holder, Renewer, SourceBusy, claim, release
from archiver.store.pg.share import share_backend
from archiver.timeutil import utcnow

STOP_GRACE = 3.0  # seconds the running polls get to finish once told to stop
ADDED = "added"  # the source name of pages archived by `archiver add`


class PollDisplay(Protocol):
    """What a live display is told: a source started, its articles, it finished."""

    def start(self, source: str) -> None: ...

    def update(self, source: str, done: int, total: int, url: str | None) -> None: ...

    def finish(self, report: PollReport) -> None: ...


@dataclass
class PollRun:
    reports: list[PollReport] = field(default_factory=list)
    abandoned: list[str] = field(default_factory=list)  # still running at the end of grace
    interrupted: bool = False


def poll_now(
    config: Config,
    names: Sequence[str] = (),
    *,
    display: PollDisplay | None = None,
    stop: threading.Event | None = None,
    grace: float = STOP_GRACE,
) -> PollRun:
    """Poll the named sources (default: every enabled one) once, due or not."""
    chosen = (
        [config.source(n) for n in names] if names else [s for s in config.sources if s.enabled]
    )
    stop = stop or threading.Event()
    logger = get_logger()
    run = PollRun()
    holder = Holder.this_process()
    store = open_store(config.archive)
    fetcher = Fetcher(config.http, stop=stop)
    captures = WarcWriter(config.archive.captures, prefix=share_backend(store, fetcher, holder))
    pool: ThreadPoolExecutor | None = None
    extractor = _extract_pool(config)
    try:
        store.migrate()
        store.sync_sources(config.sources, utcnow())
        progress: Progress | None = display.update if display is not None else None
        ctx = PollContext(
            store=store,
            fetcher=fetcher,
            settings=config.daemon,
            rules=config.rules,
            stop=stop,
            captures=captures,
            logger=logger,
            progress=progress,
            extractor=extractor,
        )
        mine: list[SourceConfig] = []
        for source in chosen:
            other = claim(store, source.name, holder)
            if other is None:
                mine.append(source)
                continue
            busy = SourceBusy(other)
            event(logger, "busy", level=logging.WARNING, source=source.name, error=str(busy))
            run.reports.append(PollReport(source=source.name, outcome="busy", error=str(busy)))
            if display is not None:
                display.finish(run.reports[-1])
        renewer = Renewer(store, holder)
        pool = ThreadPoolExecutor(max_workers=max(1, min(config.daemon.workers, len(mine) or 1)))
        futures: dict[Future[PollReport], str] = {
            pool.submit(_poll_one, source, ctx, holder, display): source.name for source in mine
        }
        pending = set(futures)
        while pending and not stop.is_set():
            _done, pending = wait(pending, timeout=0.2)
        if pending:
            _done, pending = wait(pending, timeout=grace)
        renewer.close()
        run.interrupted = stop.is_set()
        run.abandoned = sorted(futures[f] for f in pending)
        by_name = {futures[f]: f.result() for f in futures if f not in pending}
        run.reports += [by_name[s.name] for s in mine if s.name in by_name]
        order = {s.name: i for i, s in enumerate(chosen)}
        run.reports.sort(key=lambda r: order.get(r.source, 0))
        for name in run.abandoned:  # their threads are left behind: free their sources now
            release(store, name, holder)
        return run
    finally:
        if pool is not None:
            pool.shutdown(wait=not run.abandoned, cancel_futures=True)
        if not run.abandoned:
            if extractor is not None:
                extractor.close()
            fetcher.close()
            captures.close()
            store.close()


def _extract_pool(config: Config) -> ExtractPool | None:
    """The extraction workers of a poll, already starting in the background."""
    return open_pool(
        config.daemon.extract_workers,
        timeout=config.daemon.extract_timeout,
        rules=config.rules,
        prestart=True,
    )


def _poll_one(
    source: SourceConfig, ctx: PollContext, holder: Holder, display: PollDisplay | None
) -> PollReport:
    try:
        if display is not None:
            display.start(source.name)
        report = poll_source(source, ctx)
        if display is not None:
            display.finish(report)
        return report
    finally:
        with contextlib.suppress(ArchiverError):  # not released: it expires
            release(ctx.store, source.name, holder)


def add_urls(
    config: Config,
    urls: Sequence[str],
    *,
    source: str = ADDED,
    stop: threading.Event | None = None,
) -> list[tuple[str, str, str | None]]:
    """Archive these pages now (what a fact-checker does with a link), politely: robots.txt,
    the per-host delay and the caps apply. Returns (url, outcome, error) per URL."""
    stop = stop or threading.Event()
    page = SourceConfig(name=source, kind="page", url=urls[0], every=timedelta(days=1))
    results: list[tuple[str, str, str | None]] = []
    with (
        open_store(config.archive) as store,
        Fetcher(config.http, stop=stop) as fetcher,
        WarcWriter(
            config.archive.captures,
            prefix=share_backend(store, fetcher, Holder.this_process()),
        ) as captures,
    ):
        store.migrate()
        ctx = PollContext(
            store=store,
            fetcher=fetcher,
            settings=config.daemon,
            rules=config.rules,
            stop=stop,
            captures=captures,
        )
        for url in urls:
            if stop.is_set():
                break
            outcome, error = archive_link(Link(url=url), page, ctx)
            results.append((url, outcome, error))
    return results
