"""``archiver reextract``: run extraction again on the raw captures.

For every HTML response in the WARC files, in the order it was captured:

* a capture behind an article's *latest* revision is extracted again and compared with the
  article; only a change in substance adds a revision (an improved site rule, say);
* a capture behind an *older* revision is history and is left as it is;
* a capture no revision points at (an archive rebuilt from its captures alone, after the
  database was lost) is filed as if it had just been fetched: the first capture of a story
  makes the article, later ones its revisions.
"""

from __future__ import annotations

import dataclasses
import hashlib
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from archiver.capture import CapturedResponse, CaptureRef, capture_files, iter_captures
from archiver.dedup import canonical_url
from archiver.dedup.filing import StoryKeys
from archiver.errors import ArchiverError
from archiver.fetch.headers import charset
from archiver.models import Article
from archiver.poll.workers import ExtractPool, Prepared, ordered
from archiver.store import Store
from archiver.store.progress import finish_run, open_run, save_position
from archiver.store.searchindex import Analyzed
from archiver.timeutil import utcnow

if TYPE_CHECKING:
    from archiver.extract.rules import SiteRule

# called with the bytes of captures read since the last call and the captures handled so far
Progress = Callable[[int, int], None]
SAVE_EVERY = 2.0  # seconds between two notes of how far the run got


def _is_html(response: CapturedResponse) -> bool:
    for key, value in response.headers:
        if key.lower() == "content-type":
            return "html" in value.lower()
    return response.body.lstrip()[:15].lower().startswith((b"<!doctype html", b"<html"))


def _charset(response: CapturedResponse) -> str | None:
    for key, value in response.headers:
        if key.lower() == "content-type":
            return charset(value)
    return None


@dataclass(frozen=True)
class _Job:
    ref: CaptureRef
    response: CapturedResponse
    skip: str | None  # an outcome decided without extracting (history, skipped)


@dataclass(frozen=True)
class _Done:
    article: Article | None
    outcome: str | None  # set when there is nothing to file
    keys: StoryKeys | None = None
    search: Analyzed | None = None


def scope_key(source: str | None, rules: Sequence[SiteRule]) -> str:
    """What a run re-extracts: a resumed run must have the same filter and the same rules."""
    digest = hashlib.sha256(repr(tuple(rules)).encode()).hexdigest()[:16]
    return f"source={source or '*'} rules={digest}"


def reextract(
    store: Store,
    root: Path,
    *,
    source: str | None = None,
    rules: Sequence[SiteRule] = (),
    progress: Progress | None = None,
    stop: threading.Event | None = None,
    pool: ExtractPool | None = None,
    restart: bool = False,
) -> Counter[str]:
    """Re-run extraction over the captures under ``root``; returns outcome counts
    (new, revision, unchanged, alias, history, skipped, failed, and ``resumed``: captures
    an interrupted run of the same scope had already handled and this one skipped).

    Pages are extracted on ``pool``'s workers (in this thread without one) and filed here,
    one at a time, in capture order. How far the run got is kept in the archive, so after
    an interruption the next run of the same scope (``--source`` and rules) goes on from
    there; ``restart`` starts over."""
    roles = store.capture_roles()
    sources = {int(r[0]): r[1] for r in store.conn.execute("SELECT id, source FROM articles")}
    run = open_run(store, scope_key(source, rules), utcnow(), restart=restart)
    counts: Counter[str] = Counter()
    done, saved_at = run.done, time.monotonic()
    halt = stop if stop is not None else threading.Event()

    def jobs() -> Iterator[_Job]:
        for ref, response in _after(iter_captures(root), root, run.file, run.offset, counts):
            if progress:
                progress(ref.length, done)
            yield _Job(ref, response, _plan(store, ref, response, roles, sources, source))

    def work(job: _Job) -> _Done:
        if job.skip is not None:
            return _Done(None, job.skip)
        try:
            article, keys, search = _extract(job.response, rules, pool, halt)
        except ArchiverError:
            return _Done(None, "failed")
        except (RecursionError, MemoryError, ValueError, TypeError):  # parser bugs
            return _Done(None, "failed")
        outcome = None if article.page_kind == "article" else "skipped"
        return _Done(article, outcome, keys, search)

    last: CaptureRef | None = None
    complete = False
    try:
        for job, result in ordered(jobs(), work, pool=pool, should_stop=halt.is_set):
            if halt.is_set():  # what was in flight is not filed: the next run redoes it
                break
            counts[result.outcome or _file(store, job, result, roles, sources, source)] += 1
            done += 1
            last = job.ref
            if time.monotonic() - saved_at > SAVE_EVERY:
                save_position(
                    store, run.run_id, file=last.file, offset=last.offset, done=done, now=utcnow()
                )
                saved_at = time.monotonic()
        complete = not halt.is_set()
    finally:  # interrupted (stop, Ctrl-C, an error): the next run goes on after ``last``
        if complete:
            finish_run(store, run.run_id, done=done, now=utcnow())
        elif last is not None:
            save_position(
                store, run.run_id, file=last.file, offset=last.offset, done=done, now=utcnow()
            )
    if progress:
        progress(0, done)
    return counts


def _after(
    captures: Iterator[tuple[CaptureRef, CapturedResponse]],
    root: Path,
    file: str | None,
    offset: int,
    counts: Counter[str],
) -> Iterator[tuple[CaptureRef, CapturedResponse]]:
    """The captures after (file, offset), in write order; those before count as resumed."""
    if file is None:
        yield from captures
        return
    names = [p.name for p in capture_files(root)]
    position = names.index(file) if file in names else -1
    order = {name: i for i, name in enumerate(names)}
    for ref, response in captures:
        here = order.get(ref.file, len(names))
        if here < position or (here == position and ref.offset <= offset):
            counts["resumed"] += 1
            continue
        yield ref, response


def _plan(
    store: Store,
    ref: CaptureRef,
    response: CapturedResponse,
    roles: dict[str, tuple[int, bool]],
    sources: dict[int, str | None],
    only: str | None,
) -> str | None:
    """The outcome of a capture that needs no extraction, else None."""
    role = roles.get(ref.record_id)
    if role is not None and not role[1]:
        return "history"
    if ref.revisit or response.status != 200 or not _is_html(response):
        return "skipped"
    if only is not None and _owner(store, response, role, sources) != only:
        return "skipped"
    return None


def _owner(
    store: Store,
    response: CapturedResponse,
    role: tuple[int, bool] | None,
    sources: dict[int, str | None],
) -> str | None:
    if role is not None:
        return sources.get(role[0])
    return _source_of(store, response.url) or response.source


def _extract(
    response: CapturedResponse,
    rules: Sequence[SiteRule],
    pool: ExtractPool | None,
    stop: threading.Event,
) -> Prepared:
    if pool is not None:
        return pool.extract_keyed(
            response.body,
            response.url,
            charset=_charset(response),
            now=response.fetched_at,
            stop=stop,
        )
    from archiver.extract.core import extract

    return (
        extract(
            response.body,
            response.url,
            charset=_charset(response),
            rules=rules or None,
            now=response.fetched_at,
        ),
        None,
        None,
    )


def _file(
    store: Store,
    job: _Job,
    result: _Done,
    roles: dict[str, tuple[int, bool]],
    sources: dict[int, str | None],
    only: str | None,
) -> str:
    """File one re-extracted page (the owner is looked up now: an earlier capture of the
    same story may have just made its article)."""
    assert result.article is not None
    response = job.response
    owner = _owner(store, response, roles.get(job.ref.record_id), sources)
    if only is not None and owner != only:
        return "skipped"
    article = dataclasses.replace(
        result.article, url=canonical_url(response.url, result.article.canonical_url)
    )
    try:
        saved = store.save_article(
            article,
            source=owner,
            fetched_url=response.url,
            seen_at=response.fetched_at,
            capture=job.ref,
            keys=result.keys,
            search=result.search,
        )
    except ArchiverError:
        return "failed"
    return saved.outcome


def _source_of(store: Store, url: str) -> str | None:
    row = store.conn.execute(
        "SELECT a.source FROM article_urls u JOIN articles a ON a.id = u.article_id"
        " WHERE u.url = ?",
        (canonical_url(url),),
    ).fetchone()
    if row is not None:
        return str(row[0]) if row[0] is not None else None
    return None


def capture_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in capture_files(root))
