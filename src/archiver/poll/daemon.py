"""The daemon: one APScheduler tick job, a small worker pool, a clean stop on SIGTERM/SIGINT.

Every ``daemon.tick`` seconds the tick asks the archive which sources are due
(``next_check <= now``) and hands each to a worker thread, unless that source is already
being polled. The tick itself never blocks, so a slow source never delays the others; the
Fetcher keeps one request at a time per host. After a pause (SIGSTOP, a suspended laptop)
APScheduler coalesces the missed ticks into one, and each source's ``next_check`` is
computed from the time its poll ran, so a source runs once, not once per missed interval.

Before a poll the daemon claims the source's lease (``store.leases``) and renews it while it
polls: a source another poller holds (``archiver poll`` in a terminal, a second daemon) is
left to it, with one "busy" line naming the holder.

On SIGTERM or SIGINT the daemon stops taking work, sets the stop event (the fetcher stops
waiting, a poll stops between articles; an article's transaction commits or rolls back as
a whole), waits a few seconds for the workers and exits 0. On SIGHUP (a reload, or a dropped
terminal) it reads its config file again at the next tick: sources added, removed or changed
take effect for the polls that start from then on; a config with a mistake is reported in
one line and the old one kept. Settings that shape the running process (archive path,
``[http]``, ``tick``, ``workers``) are reported as needing a restart.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import signal
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC
from types import FrameType

from apscheduler.schedulers.blocking import BlockingScheduler

from archiver.capture import WarcWriter, repair_tails
from archiver.config import Config, load_config
from archiver.errors import ArchiverError, ConfigError
from archiver.fetch import Fetcher
from archiver.logs import event, get_logger
from archiver.models import PollReport
from archiver.poll.pipeline import PollContext, poll_source
from archiver.poll.schedule import next_check
from archiver.poll.signals import Handler, handling, name_of
from archiver.poll.workers import open_pool
from archiver.store import Store, open_store
from archiver.store.leases import Holder, Renewer, claim, release
from archiver.store.pg.share import share_backend
from archiver.timeutil import utcnow

STOP_GRACE = 8.0  # seconds the workers get to finish after a stop signal
CHECKPOINT_EVERY = 600.0


def warm_lexicons(held: Sequence[str], logger: logging.Logger) -> threading.Thread | None:
    """Convert, in the background, the lemma tables of the languages the archive holds that
    this machine has not converted yet (``search.lexicon.prepare``: one child process at a
    time), so the first article in such a language is not held up in an extraction worker
    while its table is built (Turkish: ~15 s). The thread only waits on its child; None when
    there is nothing to do."""
    from archiver.search import lexicon

    todo = [lang for lang in held if lang in lexicon.languages() and not lexicon.converted(lang)]
    if not todo:
        return None

    def convert() -> None:
        started = time.monotonic()
        failed = lexicon.prepare(todo, workers=1)
        extra = {"failed": ",".join(failed)} if failed else {}
        event(
            logger,
            "lemma tables converted",
            level=logging.WARNING if failed else logging.INFO,
            languages=",".join(sorted(set(todo) - set(failed))),
            seconds=round(time.monotonic() - started, 1),
            **extra,
        )

    thread = threading.Thread(target=convert, name="lexicon", daemon=True)
    thread.start()
    return thread


class Daemon:
    """``archiver run``: poll sources when due until told to stop."""

    def __init__(
        self, config: Config, *, store: Store | None = None, fetcher: Fetcher | None = None
    ) -> None:
        self.config = config
        self.stop = threading.Event()
        self.store = store or open_store(config.archive)
        self.fetcher = fetcher or Fetcher(config.http, stop=self.stop)
        self.holder = Holder.this_process()
        self.captures = WarcWriter(
            config.archive.captures, prefix=share_backend(self.store, self.fetcher, self.holder)
        )
        self.logger = get_logger()
        self.extractor = open_pool(
            config.daemon.extract_workers, timeout=config.daemon.extract_timeout, rules=config.rules
        )
        self.ctx = PollContext(
            store=self.store,
            fetcher=self.fetcher,
            settings=config.daemon,
            rules=config.rules,
            stop=self.stop,
            logger=self.logger,
            captures=self.captures,
            extractor=self.extractor,
        )
        self._running: set[str] = set()
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(
            max_workers=config.daemon.workers, thread_name_prefix="poll"
        )
        self._scheduler = BlockingScheduler(timezone=UTC)
        self._last_checkpoint = time.monotonic()
        self.abandoned: list[str] = []  # polls still running when the grace period ended
        self._renewer: Renewer | None = None
        self._reload = threading.Event()
        self._busy: dict[str, str] = {}  # source -> the other holder last reported

    # ---- the tick

    def tick(self) -> list[str]:
        """Start a poll of every due source that is not already being polled."""
        if self.stop.is_set():
            return []
        if self._reload.is_set():
            self._reload.clear()
            self.reload()
        started = []
        try:
            due = self.store.due_sources(utcnow())
        except ArchiverError as exc:
            event(self.logger, "tick failed", level=logging.ERROR, error=str(exc))
            return []
        for name in due:
            with self._lock:
                if name in self._running or self.stop.is_set():
                    continue
                if len(self._running) >= self.config.daemon.workers:
                    break  # claim no more than we can poll now: other daemons take the rest
                self._running.add(name)
            if not self._claim(name):
                with self._lock:
                    self._running.discard(name)
                continue
            self._pool.submit(self._poll, name)
            started.append(name)
        if time.monotonic() - self._last_checkpoint > CHECKPOINT_EVERY:
            self._last_checkpoint = time.monotonic()
            self.store.checkpoint()
        return started

    def _claim(self, name: str) -> bool:
        """Take the source's lease; a source held elsewhere is left alone (logged once)."""
        try:
            other = claim(self.store, name, self.holder)
        except ArchiverError as exc:
            event(self.logger, "lease failed", level=logging.ERROR, source=name, error=str(exc))
            return False
        if other is None:
            self._busy.pop(name, None)
            if self._renewer is not None:
                self._renewer.add(name)
            return True
        if self._busy.get(name) != other.holder:
            self._busy[name] = other.holder
            event(
                self.logger,
                "busy",
                source=name,
                error=f"source {name} is being polled by pid {other.pid} on {other.host}",
            )
        return False

    def _poll(self, name: str) -> PollReport | None:
        try:
            try:
                source = self.config.source(name)
            except ConfigError:  # removed from the config by a reload since the tick
                return None
            return poll_source(source, self.ctx)
        except Exception as exc:  # a bug in a stage must not stop the daemon
            self.logger.exception("poll crashed", extra={"fields": {"source": name}})
            self._record_crash(name, exc)
            return None
        finally:
            if self._renewer is not None:
                self._renewer.discard(name)
            with contextlib.suppress(ArchiverError):  # not released: it expires
                release(self.store, name, self.holder)
            with self._lock:
                self._running.discard(name)

    def _record_crash(self, name: str, exc: Exception) -> None:
        try:
            source = self.config.source(name)
            state = self.store.source_state(name)
            now = utcnow()
            self.store.record_poll(
                name,
                outcome="failed",
                polled_at=now,
                error=f"internal error: {type(exc).__name__}: {exc}",
                next_check=next_check(
                    now=now, every=source.every, ok=False, error_count=state.error_count + 1
                ),
            )
        except Exception:
            self.logger.exception("could not record the crash", extra={"fields": {"source": name}})

    # ---- lifecycle

    def prepare(self) -> None:
        self.store.migrate()
        self.store.sync_sources(self.config.sources, utcnow())
        warm_lexicons(self.store.held_languages(), self.logger)
        dropped = repair_tails(self.config.archive.captures)
        if dropped:
            event(
                self.logger,
                "cut a torn record off the captures",
                level=logging.WARNING,
                bytes=dropped,
            )

    def request_reload(self, signum: int | None = None, _frame: FrameType | None = None) -> None:
        """SIGHUP: read the config again at the next tick (not inside the handler)."""
        event(self.logger, "reload requested", signal=name_of(signum))
        self._reload.set()

    def reload(self) -> bool:
        """Read the config file again; a bad one is reported and the old one kept."""
        path = self.config.path
        if path is None:
            event(self.logger, "reload skipped", level=logging.WARNING, error="no config file")
            return False
        try:
            new = load_config(path)
            self.store.sync_sources(new.sources, utcnow())
        except ArchiverError as exc:
            event(
                self.logger,
                "reload failed, keeping the running config",
                level=logging.ERROR,
                error=str(exc),
            )
            return False
        old = self.config
        restart = [
            key
            for key, changed in (
                ("archive", new.archive != old.archive),
                ("http", new.http != old.http),
                ("daemon.tick", new.daemon.tick != old.daemon.tick),
                ("daemon.workers", new.daemon.workers != old.daemon.workers),
            )
            if changed
        ]
        self.config = new
        self.ctx = dataclasses.replace(self.ctx, settings=new.daemon, rules=new.rules)
        before = {s.name: s for s in old.sources}
        after = {s.name: s for s in new.sources}
        event(
            self.logger,
            "reloaded",
            sources=len([s for s in new.sources if s.enabled]),
            added=",".join(sorted(after.keys() - before.keys())) or None,
            removed=",".join(sorted(before.keys() - after.keys())) or None,
            changed=",".join(
                sorted(n for n in after.keys() & before.keys() if after[n] != before[n])
            )
            or None,
            needs_restart=",".join(restart) or None,
        )
        return True

    def request_stop(self, signum: int | None = None, _frame: FrameType | None = None) -> None:
        if not self.stop.is_set():
            event(self.logger, "stopping", signal=name_of(signum))
        self.stop.set()
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    def run(self, *, install_signals: bool = True) -> int:
        handlers: dict[int, Handler] = {
            signal.SIGTERM: self.request_stop,
            signal.SIGINT: self.request_stop,
            signal.SIGHUP: self.request_reload,
        }
        with handling(handlers if install_signals else {}):
            return self._run()

    def _run(self) -> int:
        self.prepare()
        if self.extractor is not None:
            self.extractor.prestart()
        self._renewer = Renewer(self.store, self.holder)
        tick = self.config.daemon.tick
        self._scheduler.add_job(
            self.tick,
            "interval",
            seconds=tick,
            id="tick",
            next_run_time=utcnow(),
            coalesce=True,
            max_instances=1,
            misfire_grace_time=max(1, int(tick)),
        )
        enabled = [s.name for s in self.config.sources if s.enabled]
        event(
            self.logger,
            "started",
            sources=len(enabled),
            archive=str(getattr(self.store, "location", self.store.path)),
            tick=tick,
            workers=self.config.daemon.workers,
        )
        if not self.stop.is_set():
            self._scheduler.start()
        self._shutdown()
        event(self.logger, "stopped")
        return 0

    def _shutdown(self) -> None:
        self.stop.set()
        self._pool.shutdown(wait=False, cancel_futures=True)
        deadline = time.monotonic() + STOP_GRACE
        while time.monotonic() < deadline:
            with self._lock:
                if not self._running:
                    break
            time.sleep(0.05)
        with self._lock:
            left = self.abandoned = sorted(self._running)
        if self._renewer is not None:
            self._renewer.close()
        for name in left:  # this process is about to exit: free their sources now
            with contextlib.suppress(ArchiverError):
                release(self.store, name, self.holder)
        if left:
            event(
                self.logger,
                "abandoned in-flight polls",
                level=logging.WARNING,
                sources=",".join(left),
            )
        try:
            if self.extractor is not None:
                self.extractor.close()
            self.fetcher.close()
            self.captures.close()
        finally:
            self.store.checkpoint()
