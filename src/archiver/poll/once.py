"""``archiver poll``: one pass over the sources now, with a progress display on a terminal."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager

from archiver.capture import WarcWriter
from archiver.config import Config
from archiver.fetch import Fetcher
from archiver.models import PollReport
from archiver.poll.pipeline import PollContext, poll_source
from archiver.poll.workers import ExtractPool, open_pool
from archiver.store import Store
from archiver.timeutil import utcnow


def poll_now(
    config: Config,
    names: Sequence[str] = (),
    *,
    progress: bool = False,
    stop: threading.Event | None = None,
) -> list[PollReport]:
    """Poll the named sources (default: every enabled one) once, due or not."""
    chosen = (
        [config.source(n) for n in names] if names else [s for s in config.sources if s.enabled]
    )
    stop = stop or threading.Event()
    with (
        Store(config.archive.path) as store,
        Fetcher(config.http, stop=stop) as fetcher,
        WarcWriter(config.archive.captures) as captures,
        _pool(config) as extractor,
    ):
        store.migrate()
        store.sync_sources(config.sources, utcnow())
        ctx = PollContext(
            store=store,
            fetcher=fetcher,
            settings=config.daemon,
            rules=config.rules,
            stop=stop,
            captures=captures,
            extractor=extractor,
        )
        workers = max(1, min(config.daemon.workers, len(chosen)))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="poll") as pool:
            futures = [pool.submit(poll_source, source, ctx) for source in chosen]
            if progress and chosen:
                _show_progress(futures)
            try:
                return [f.result() for f in futures]
            except KeyboardInterrupt:
                stop.set()
                raise


@contextmanager
def _pool(config: Config) -> Iterator[ExtractPool | None]:
    pool = open_pool(
        config.daemon.extract_workers,
        timeout=config.daemon.extract_timeout,
        rules=config.rules,
        prestart=True,
    )
    try:
        yield pool
    finally:
        if pool is not None:
            pool.close()


def _show_progress(futures: list[Future[PollReport]]) -> None:
    from concurrent.futures import as_completed

    from rich.progress import Progress

    with Progress(transient=True) as bar:
        task = bar.add_task("polling", total=len(futures))
        for future in as_completed(futures):
            report = future.result()
            bar.update(task, advance=1, description=f"{report.source}: {report.outcome}")
