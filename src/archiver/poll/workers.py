"""ExtractPool: page extraction in worker processes, each page under a hard time budget.

The polling threads fetch and capture; ``ExtractPool.extract()`` hands the page bytes to an
idle worker process and blocks for the ``Article`` (a frozen dataclass, pickled back). A
page whose extraction runs past ``timeout`` seconds has its worker killed (a regex that
backtracks, a pathological tree: nothing in a worker can outlive its budget) and replaced;
the page fails with ``ExtractTimeout`` and the poll goes on. A worker that dies (a segfault
in a C parser, the OOM killer) costs that one page too.

Workers are forked from a ``forkserver`` that imported the extractor once, so each worker
starts with the parser stack (lxml, trafilatura and its data) already loaded and shares its
pages with its siblings, while the parent, the daemon that polls and writes, never imports
it. Workers start when first needed, and a worker idle for ``idle`` seconds exits (the
next page starts one again); once no pool in the process has a worker left, the forkserver
stops too, so a daemon whose sources bring nothing new holds no extractor in memory (the next
worker starts a fresh server, a few seconds of warm-up). ``ordered()`` runs the fetching
side concurrently while the caller files the results one at a time, in order (one writer,
the same order as a single-threaded poll).
"""

from __future__ import annotations

import contextlib
import dataclasses
import multiprocessing as mp
import os
import queue
import signal
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import TYPE_CHECKING, Any, TypeVar

from archiver import errors
from archiver.dedup import canonical_url
from archiver.dedup.filing import StoryKeys, story_keys
from archiver.errors import ExtractTimeout, ParseError
from archiver.models import Article
from archiver.store.searchindex import Analyzed, analyzed

if TYPE_CHECKING:
    from archiver.extract.rules import SiteRule

T = TypeVar("T")
R = TypeVar("R")

# what a worker runs per page: (body, url, charset, now, rules) -> Article
Target = Callable[[bytes, str, "str | None", "datetime | None", "Sequence[SiteRule]"], Article]

PRELOAD = "archiver.poll.warmup"  # imported once by the forkserver, inherited by workers
START_TIMEOUT = 120.0  # seconds a new worker may take to come up (the first warms the server)
SLICE = 0.25  # seconds between two looks at the stop event while a page is extracted
IDLE_EXIT = 60.0  # seconds a worker may wait for a page before it is told to exit

# every pool of this process, and the lock under which the shared forkserver is started or
# stopped: it stops only when no pool has a worker alive or starting
_POOLS: weakref.WeakSet[ExtractPool] = weakref.WeakSet()
_SERVER_LOCK = threading.Lock()


def extract_job(
    body: bytes,
    url: str,
    charset: str | None,
    now: datetime | None,
    rules: Sequence[SiteRule],
) -> Article:
    """The default worker target: ``archiver.extract.extract`` on one page."""
    from archiver.extract.core import extract

    return extract(body, url, charset=charset, rules=rules or None, now=now)


def cores() -> int:
    """The cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # pragma: no cover (not Linux)
        return max(1, os.cpu_count() or 1)


def worker_count(configured: int | None) -> int:
    """``[daemon] extract_workers``: None means one per core, 0 means no worker processes."""
    return cores() if configured is None else max(0, configured)


def _serve(conn: Connection, target: Target, rules: Sequence[SiteRule]) -> None:
    """A worker's loop: a job in, ("ok", Article) or ("err", type name, message) out."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    try:
        conn.send("ready")  # a page's budget starts once its worker is up, not before
    except (EOFError, OSError):
        return
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        body, url, charset, now = job
        reply: tuple[Any, ...]
        try:
            reply = ("ok", *_keyed(target(body, url, charset, now, rules), url))
        except Exception as exc:  # every failure goes back as one page's error
            reply = ("err", type(exc).__name__, str(exc), isinstance(exc, errors.ArchiverError))
        try:
            conn.send(reply)
        except (EOFError, OSError):
            return
        except Exception as exc:  # an Article that cannot be pickled (a bug): say so
            conn.send(("err", type(exc).__name__, f"result not sendable: {exc}", False))


#: what a worker sends back for a page: the article, its dedup keys and its index text
Prepared = tuple[Article, "StoryKeys | None", "Analyzed | None"]


def _keyed(article: Article, fetched_url: str) -> Prepared:
    """An article filed under its canonical URL, with the keys dedup files it by (content
    hash, SimHash) and its analyzed search text: pure, and most of the parent's work per
    article if left to it (the analysis alone ~20 ms, inside the write transaction)."""
    if article.page_kind != "article":
        return article, None, None
    article = dataclasses.replace(article, url=canonical_url(fetched_url, article.canonical_url))
    search = analyzed(article.title, article.lead, article.body, article.language)
    return article, story_keys(article, fetched_url), search


def _rebuild(name: str, message: str, expected: bool) -> Exception:
    """The worker's exception as the parent raises it (the same error tree)."""
    if expected:
        cls = getattr(errors, name, None)
        if isinstance(cls, type) and issubclass(cls, ParseError):
            return cls(message)
        return ParseError(message)
    builtin = {"RecursionError": RecursionError, "MemoryError": MemoryError}
    if name in builtin:
        return builtin[name](message)
    return ParseError(f"{name}: {message}")


@dataclass
class _Worker:
    process: BaseProcess
    conn: Connection
    last_used: float = 0.0  # time.monotonic() when it last finished a page (or started)


def _stop_server_if_unused() -> bool:
    """Stop the extraction forkserver (and free the extractor it holds) when no pool of this
    process has a worker alive or starting; the next worker starts it again."""
    from multiprocessing import forkserver

    with _SERVER_LOCK:
        if any(pool.busy() for pool in list(_POOLS)):
            return False
        stop = getattr(forkserver._forkserver, "_stop", None)  # CPython 3.8+
        if stop is None:  # pragma: no cover (another interpreter: the server stays)
            return False
        stop()
        return True


class ExtractPool:
    """``size`` extraction processes shared by every polling thread. Thread-safe."""

    def __init__(
        self,
        size: int,
        *,
        timeout: float = 20.0,
        rules: Sequence[SiteRule] = (),
        target: Target = extract_job,
        idle: float | None = IDLE_EXIT,
    ) -> None:
        """``idle``: seconds after which a worker without a page exits (None: never)."""
        if size < 1:
            raise ValueError("an ExtractPool needs at least one worker")
        self.size = size
        self.timeout = timeout
        self.rules = tuple(rules)
        self.target = target
        self.idle = idle
        self._mp = mp.get_context("forkserver")
        self._mp.set_forkserver_preload([PRELOAD])
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._reaper: threading.Thread | None = None
        self._closing = threading.Event()
        self.exited_idle = 0  # workers told to exit after ``idle`` seconds without a page
        self._lock = threading.Lock()
        self._live: list[_Worker] = []
        self._closed = False
        self._starting = 0  # workers being started (outside the lock)
        self.replaced = 0  # workers killed for running past the budget or found dead
        # the fetching side: enough threads to keep every worker busy while one fetches
        self.threads = ThreadPoolExecutor(max_workers=size + 1, thread_name_prefix="article")
        _POOLS.add(self)

    def busy(self) -> bool:
        """Whether a worker of this pool is alive or starting."""
        with self._lock:
            return bool(self._live) or self._starting > 0

    # ---- workers

    def _start(self) -> _Worker:
        parent, child = self._mp.Pipe(duplex=True)
        process = self._mp.Process(
            target=_serve, args=(child, self.target, self.rules), name="archiver-extract"
        )
        process.daemon = True
        with _SERVER_LOCK:  # not while the server is being stopped
            process.start()
        child.close()
        try:
            if not parent.poll(START_TIMEOUT) or parent.recv() != "ready":
                raise EOFError("no word from it")
        except (EOFError, OSError) as exc:
            process.kill()
            process.join(5)
            parent.close()
            raise ParseError(f"an extraction worker did not start: {exc}") from None
        return _Worker(process, parent)

    def _acquire(self) -> _Worker:
        while True:
            with self._lock:
                if self._closed:
                    raise ParseError("the extraction pool is closed")
                try:
                    return self._idle.get_nowait()
                except queue.Empty:
                    pass
                grow = len(self._live) + self._starting < self.size
                if grow:
                    self._starting += 1
            if grow:
                return self._grow()
            with contextlib.suppress(queue.Empty):
                return self._idle.get(timeout=SLICE)

    def _grow(self) -> _Worker:
        """Start one more worker (a slot was reserved); no lock is held while it starts, so
        ``close()`` never waits for a worker coming up."""
        try:
            worker = self._start()
        except BaseException:
            with self._lock:
                self._starting -= 1
            raise
        worker.last_used = time.monotonic()
        with self._lock:
            self._starting -= 1  # counted as starting until it is counted as live
            if not self._closed:
                self._live.append(worker)
                self._watch_idle()
                return worker
        self._stop_worker(worker)
        raise ParseError("the extraction pool is closed")

    def _watch_idle(self) -> None:
        """Start the thread that lets idle workers exit (under the lock; once)."""
        if self.idle is None or self._reaper is not None:
            return
        self._reaper = threading.Thread(target=self._reap_loop, name="extract-idle", daemon=True)
        self._reaper.start()

    def _reap_loop(self) -> None:
        assert self.idle is not None
        period = max(0.05, min(self.idle / 4, 5.0))
        while not self._closing.wait(period):
            self.reap_idle()

    def reap_idle(self, now: float | None = None) -> int:
        """Tell the workers idle for ``idle`` seconds to exit; when none is left in any pool,
        stop the forkserver too. Returns how many exited."""
        if self.idle is None:
            return 0
        now = time.monotonic() if now is None else now
        stale: list[_Worker] = []
        with self._lock:
            if self._closed:  # close() stops every worker itself
                return 0
            keep: list[_Worker] = []
            while True:
                try:
                    worker = self._idle.get_nowait()
                except queue.Empty:
                    break
                (stale if now - worker.last_used >= self.idle else keep).append(worker)
            for worker in keep:
                self._idle.put(worker)
            for worker in stale:
                self._live.remove(worker)
            self.exited_idle += len(stale)
        for worker in stale:
            self._stop_worker(worker)
        if stale:
            _stop_server_if_unused()
        return len(stale)

    def prestart(self) -> None:
        """Start the workers now, in the background (a poll's first pages need not wait)."""
        threading.Thread(target=self._fill, name="extract-prestart", daemon=True).start()

    def _fill(self) -> None:
        for _ in range(self.size):
            with self._lock:
                if self._closed or len(self._live) + self._starting >= self.size:
                    return
                self._starting += 1
            try:
                worker = self._grow()
            except ParseError:
                return  # closed, or it would not start: the first page tries again, says why
            self._idle.put(worker)

    def _release(self, worker: _Worker) -> None:
        worker.last_used = time.monotonic()
        self._idle.put(worker)

    def _discard(self, worker: _Worker) -> None:
        """Kill a worker that overran or broke; the next job starts a fresh one."""
        with contextlib.suppress(OSError, ValueError):
            worker.process.kill()
        worker.process.join(5)
        worker.conn.close()
        with self._lock:
            if worker in self._live:
                self._live.remove(worker)
            self.replaced += 1

    def workers_pids(self) -> list[int]:
        with self._lock:
            return [w.process.pid for w in self._live if w.process.pid is not None]

    # ---- the one call

    def extract(
        self,
        body: bytes,
        url: str,
        *,
        charset: str | None = None,
        now: datetime | None = None,
        stop: threading.Event | None = None,
    ) -> Article:
        """Extract one page in a worker; raises ``ParseError`` (``ExtractTimeout`` past the
        budget, or when ``stop`` is set meanwhile), like ``extract()`` itself would. An
        article comes back with ``url`` set to its canonical URL."""
        return self.extract_keyed(body, url, charset=charset, now=now, stop=stop)[0]

    def extract_keyed(
        self,
        body: bytes,
        url: str,
        *,
        charset: str | None = None,
        now: datetime | None = None,
        stop: threading.Event | None = None,
    ) -> Prepared:
        """``extract()`` and, for an article, its dedup keys and analyzed search text
        computed in the worker too."""
        worker = self._acquire()
        try:
            worker.conn.send((body, url, charset, now))
            deadline = time.monotonic() + self.timeout
            while not worker.conn.poll(min(SLICE, max(0.0, deadline - time.monotonic()))):
                if time.monotonic() >= deadline:
                    raise ExtractTimeout(
                        f"extraction ran past its {self.timeout:g} s budget (worker replaced)"
                    )
                if stop is not None and stop.is_set():
                    raise ExtractTimeout("extraction abandoned: stopping")
            reply = worker.conn.recv()
        except ExtractTimeout:
            self._discard(worker)
            raise
        except (EOFError, OSError) as exc:
            self._discard(worker)
            code = worker.process.exitcode
            raise ParseError(f"the extraction worker died ({exc or 'exit ' + str(code)})") from None
        except BaseException:
            self._discard(worker)
            raise
        self._release(worker)
        if reply[0] == "ok":
            return reply[1], reply[2], reply[3]
        raise _rebuild(reply[1], reply[2], reply[3])

    def close(self) -> None:
        """Stop the workers (each finishes the page it is on, briefly, or is killed)."""
        with self._lock:
            self._closed = True
            live, self._live = self._live, []
        self._closing.set()
        self.threads.shutdown(wait=False, cancel_futures=True)
        for worker in live:
            self._stop_worker(worker)

    @staticmethod
    def _stop_worker(worker: _Worker) -> None:
        with contextlib.suppress(OSError, ValueError):
            worker.conn.send(None)
        worker.process.join(2)
        if worker.process.is_alive():
            worker.process.kill()
            worker.process.join(2)
        worker.conn.close()

    def __enter__(self) -> ExtractPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_pool(
    configured: int | None,
    *,
    timeout: float,
    rules: Sequence[SiteRule] = (),
    prestart: bool = False,
) -> ExtractPool | None:
    """The pool ``[daemon] extract_workers`` asks for, or None for in-thread extraction;
    ``prestart``: its workers start now, in the background, rather than at the first page."""
    size = worker_count(configured)
    if not size:
        return None
    pool = ExtractPool(size, timeout=timeout, rules=rules)
    if prestart:
        pool.prestart()
    return pool


def ordered(
    items: Iterable[T],
    work: Callable[[T], R],
    *,
    pool: ExtractPool | None,
    should_stop: Callable[[], bool],
) -> Iterator[tuple[T, R]]:
    """``(item, work(item))`` in the order of ``items``. With a pool, up to ``size + 1``
    items are worked on at once on its threads while the caller consumes the results in
    order; ``should_stop`` is asked before each item is started (nothing after it starts)."""
    if pool is None:
        for item in items:
            if should_stop():
                return
            yield item, work(item)
        return
    window: deque[tuple[T, Future[R]]] = deque()
    source = iter(items)
    exhausted = False
    try:
        while True:
            while not exhausted and len(window) < pool.size + 1:
                item = next(source, _END)
                if item is _END or should_stop():
                    exhausted = True
                    break
                window.append((item, pool.threads.submit(work, item)))
            if not window:
                return
            item, future = window.popleft()
            yield item, future.result()
    finally:
        for _, future in window:  # the caller stopped early: let started work finish
            future.cancel()
        for _, future in window:
            with contextlib.suppress(BaseException):
                future.result()


_END: Any = object()
