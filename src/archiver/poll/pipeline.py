"""poll_source(): the recipe that joins the stages for one source.

fetch listing (conditional GET) → links → skip what is archived → fetch each new page →
extract → store (one transaction per article). A failing page is recorded and skipped; a
failing listing is recorded on the source with a growing backoff. Nothing here writes SQL or
speaks HTTP itself: the Store and the Fetcher passed in do.
"""

from __future__ import annotations

import dataclasses
import logging
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from archiver.capture import CaptureRef, WarcWriter, read_capture
from archiver.config import DaemonSettings, SourceConfig
from archiver.dedup import canonical_url, guids_look_stable, link_identity
from archiver.dedup.filing import StoryKeys
from archiver.errors import (
    ArchiverError,
    HTTPStatusError,
    PrivateAddress,
    RobotsDisallowed,
)
from archiver.fetch import Fetcher
from archiver.fetch.headers import charset
from archiver.listings import parse_listing
from archiver.logs import event, get_logger
from archiver.models import (
    Article,
    ArticleOutcome,
    Fetched,
    Link,
    Listing,
    PollOutcome,
    PollReport,
    RequestRecord,
)
from archiver.poll.schedule import next_check
from archiver.poll.workers import ExtractPool, Prepared, ordered
from archiver.store import LinkState, LinkUpdate, SourceState, Store
from archiver.store.searchindex import Analyzed
from archiver.timeutil import FUTURE_SLACK, utcnow

if TYPE_CHECKING:
    from archiver.extract.rules import SiteRule

GIVE_UP_AFTER = 3  # an article page that failed this often is not fetched by plain polls
RESUME_AFTER = 60.0  # seconds: a poll cut short by a stop is due again this soon
# progress(source, articles done, articles to fetch, the URL being fetched or None)
Progress = Callable[[str, int, int, "str | None"], None]


@dataclass(frozen=True)
class PollContext:
    """Everything a poll needs, passed down from the edge (no global settings)."""

    store: Store
    fetcher: Fetcher
    settings: DaemonSettings = field(default_factory=DaemonSettings)
    rules: Sequence[SiteRule] = ()
    stop: threading.Event = field(default_factory=threading.Event)
    clock: Callable[[], datetime] = utcnow
    rand: random.Random = field(default_factory=random.Random)
    logger: logging.Logger = field(default_factory=get_logger)
    captures: WarcWriter | None = None  # raw capture of every response (None: off)
    progress: Progress | None = None  # told before each article page (a live display)
    # extraction in worker processes, fed by fetching threads (None: in the polling thread)
    extractor: ExtractPool | None = None


def _outcome_of(exc: BaseException) -> PollOutcome:
    """Blocked when the site or the config forbids the fetch; "failed" when it broke
    (a robots.txt that cannot be read means the host is failing, not that it said no)."""
    if isinstance(exc, RobotsDisallowed):
        return "failed" if exc.unreachable else "blocked"
    return "blocked" if isinstance(exc, PrivateAddress) else "failed"


def is_failure(report: PollReport) -> bool:
    """A poll whose listing could not be read (the exit status of `archiver poll`)."""
    return report.outcome in ("failed", "blocked")


def poll_source(source: SourceConfig, ctx: PollContext) -> PollReport:
    """Poll one source now; everything that happens is recorded, nothing is raised."""
    started, t0 = ctx.clock(), time.monotonic()
    store = ctx.store
    state = store.source_state(source.name)
    requests: list[RequestRecord] = []
    try:
        fetched = ctx.fetcher.get(
            source.url,
            kind=source.kind,
            etag=state.etag,
            last_modified=state.last_modified,
            max_bytes=source.max_bytes,
        )
        requests += fetched.requests
        listing_ref: CaptureRef | None = None
        if fetched.not_modified and state.links_left:
            # links were left last time: the listing is read again from its capture (or, if
            # that cannot be read, fetched again in full), not downloaded on every poll
            again = _listing_again(ctx, state, fetched)
            if again is None:
                fetched = ctx.fetcher.get(source.url, kind=source.kind, max_bytes=source.max_bytes)
                requests += fetched.requests
            else:
                fetched, listing_ref = again, state.listing_capture
        if fetched.not_modified:
            store.record_fetches(source.name, requests)
            revisit_due(source, ctx, deadline=t0 + ctx.settings.poll_timeout)
            store.record_poll(
                source.name,
                outcome="not_modified",
                polled_at=started,
                keep_validators=True,
                next_check=next_check(
                    now=ctx.clock(),
                    every=source.every,
                    ok=True,
                    error_count=0,
                    hint=fetched.freshness,
                    rand=ctx.rand,
                ),
            )
            return _report(ctx, source, "not_modified", t0)
        listing = _read_listing(source, fetched, ctx, requests)
        if listing_ref is None:
            listing_ref = capture(ctx, fetched, source.name)
    except ArchiverError as exc:
        requests += getattr(exc, "requests", ())
        store.record_fetches(source.name, requests)
        if ctx.stop.is_set():  # stopped, not failing: the source stays due
            return _report(ctx, source, "interrupted", t0)
        outcome = _outcome_of(exc)
        retry_after = exc.retry_after if isinstance(exc, HTTPStatusError) else None
        store.record_poll(
            source.name,
            outcome=outcome,
            polled_at=started,
            error=str(exc),
            next_check=next_check(
                now=ctx.clock(),
                every=source.every,
                ok=False,
                error_count=state.error_count + 1,
                retry_after=retry_after,
                rand=ctx.rand,
            ),
        )
        return _report(ctx, source, outcome, t0, error=str(exc))
    store.record_fetches(source.name, requests)

    links = _unique_links(listing.links, source)
    todo = plan(links, source, ctx)
    deadline = t0 + ctx.settings.poll_timeout
    new = failed = done = 0
    errors: list[str] = []
    batch = todo[: ctx.settings.max_articles]
    pages = ordered(
        batch,
        lambda item: fetch_page(item[0], source, ctx, item[1]),
        pool=ctx.extractor,
        should_stop=lambda: ctx.stop.is_set() or time.monotonic() > deadline,
    )
    for (link, _), page in pages:
        if ctx.stop.is_set():  # pages in flight are not filed (nor counted as failures)
            break
        if ctx.progress is not None:
            ctx.progress(source.name, done, len(batch), link.url)
        result, error = file_page(page, source, ctx)
        if result == "interrupted":
            break
        done += 1
        new += result == "new"
        if result == "failed":
            failed += 1
            errors.append(f"{link.url}: {error}")
    complete = done == len(todo) and failed == 0
    if ctx.progress is not None:
        ctx.progress(source.name, done, len(batch), None)
    interrupted = ctx.stop.is_set() and not complete
    revisit_due(source, ctx, deadline=deadline, handled={u.identity for _, u in todo})
    hint = max((h for h in (listing.ttl, fetched.freshness) if h), default=None)
    store.record_poll(
        source.name,
        outcome="ok",
        polled_at=started,
        # with links left over, a 304 next time means "read the capture again"; without a
        # capture to read, the old validators stay, so that the next poll gets the listing
        etag=fetched.etag,
        last_modified=fetched.last_modified,
        keep_validators=not complete and listing_ref is None,
        links_left=not complete,
        listing_capture=listing_ref,
        next_check=next_check(
            now=ctx.clock(), every=source.every, ok=True, error_count=0, hint=hint, rand=ctx.rand
        )
        if not interrupted  # links left over: due again soon, not after the whole interval
        else ctx.clock() + min(source.every, timedelta(seconds=RESUME_AFTER)),
    )
    return _report(
        ctx,
        source,
        "ok",
        t0,
        new=new,
        seen=len(links),
        skipped=len(links) - len(todo),
        failed=failed,
        errors=tuple(errors),
    )


def _listing_again(ctx: PollContext, state: SourceState, fetched: Fetched) -> Fetched | None:
    """The listing as its last capture holds it, standing in for a 304 answer; None when
    there is no capture to read."""
    if ctx.captures is None or state.listing_capture is None:
        return None
    try:
        response = read_capture(ctx.captures.root, state.listing_capture)
    except ArchiverError:
        return None
    content_type = next((v for k, v in response.headers if k.lower() == "content-type"), None)
    return dataclasses.replace(
        fetched,
        url=response.url,
        status=200,
        content=response.body,
        headers=response.headers,
        charset=charset(content_type) if content_type else None,
        etag=fetched.etag or state.etag,
        last_modified=fetched.last_modified or state.last_modified,
    )


def _read_listing(
    source: SourceConfig,
    fetched: Fetched,
    ctx: PollContext,
    requests: list[RequestRecord],
) -> Listing:
    """Parse the listing; follow a sitemap index (visited set, depth and count caps)."""
    listing = parse_listing(
        source.kind,
        fetched.content,
        fetched.url,
        links=source.links_re,
        charset=fetched.charset,
        max_bytes=source.max_bytes,
    )
    if source.kind != "sitemap" or not listing.sitemaps:
        return listing
    links = list(listing.links)
    visited = {canonical_url(source.url), canonical_url(fetched.url)}
    queue = [(url, 1) for url in listing.sitemaps]
    read = 0
    while queue and read < ctx.settings.sitemap_children and not ctx.stop.is_set():
        url, depth = queue.pop(0)
        if canonical_url(url) in visited or depth > ctx.settings.sitemap_depth:
            continue
        visited.add(canonical_url(url))
        read += 1
        try:
            child = ctx.fetcher.get(url, kind="sitemap", max_bytes=source.max_bytes)
            requests += child.requests
            capture(ctx, child, source.name)
            sub = parse_listing(
                "sitemap",
                child.content,
                child.url,
                links=source.links_re,
                charset=child.charset,
                max_bytes=source.max_bytes,
            )
        except ArchiverError as exc:
            requests += getattr(exc, "requests", ())
            event(
                ctx.logger,
                "sitemap failed",
                level=logging.WARNING,
                source=source.name,
                url=url,
                error=str(exc),
            )
            continue
        links += sub.links
        queue += [(u, depth + 1) for u in sub.sitemaps]
    return dataclasses.replace(listing, links=tuple(links), sitemaps=())


def _unique_links(links: Sequence[Link], source: SourceConfig) -> list[Link]:
    pattern = source.links_re
    seen: set[str] = set()
    unique = []
    for link in links:
        if pattern is not None and not pattern.search(link.url):
            continue
        key = canonical_url(link.url)
        if key not in seen:
            seen.add(key)
            unique.append(link)
    return unique


def plan(
    links: Sequence[Link], source: SourceConfig, ctx: PollContext
) -> list[tuple[Link, LinkUpdate]]:
    """The links to fetch, each with its identity: new ones, and known ones whose listing
    says they changed (a newer ``<lastmod>`` / ``<updated>``). Nothing else is fetched."""
    trusted = guids_look_stable(link.guid for link in links)
    keyed = [
        (
            link,
            link_identity(
                link.url,
                link.guid,
                link.title,
                link.published,
                guid_trusted=trusted,
                scope=source.name,
            ),
        )
        for link in links
    ]
    states = ctx.store.link_states(identity for _, identity in keyed)
    urls = [canonical_url(link.url) for link, _ in keyed]
    known = ctx.store.known_urls(urls)
    given_up = ctx.store.given_up(urls, GIVE_UP_AFTER)
    todo = []
    for (link, identity), url in zip(keyed, urls, strict=True):
        state = states.get(identity)
        if state is None and (url in known or url in given_up):
            continue
        if state is not None and not _changed(link, state, ctx.clock()):
            continue
        todo.append(
            (
                link,
                LinkUpdate(
                    identity=identity, url=link.url, lastmod=link.updated, revisit=source.revisit
                ),
            )
        )
    return todo


def _changed(link: Link, state: LinkState, now: datetime) -> bool:
    """The listing says this entry changed: a newer lastmod, not one from the future."""
    if link.updated is None or link.updated > now + FUTURE_SLACK:
        return False
    return state.lastmod is None or link.updated > state.lastmod


def revisit_due(
    source: SourceConfig, ctx: PollContext, *, deadline: float, handled: set[str] | None = None
) -> int:
    """Fetch again the archived stories of ``source`` whose revisit has come (1 h, 6 h, 24 h
    after first seen by default), so later edits become revisions. Returns how many."""
    if not source.revisit:
        return 0
    count = 0
    for state in ctx.store.due_revisits(source.name, ctx.clock(), ctx.settings.max_articles):
        if ctx.stop.is_set() or time.monotonic() > deadline:
            break
        if state.url is None or (handled and state.identity in handled):
            continue
        update = LinkUpdate(
            identity=state.identity,
            url=state.url,
            lastmod=state.lastmod,
            revisit=source.revisit,
            revisited=True,
        )
        archive_link(Link(url=state.url), source, ctx, update)
        count += 1
    return count


def capture(
    ctx: PollContext,
    fetched: Fetched,
    source: str,
    previous: CaptureRef | None = None,
    *,
    sync: bool = True,
) -> CaptureRef | None:
    """Write the raw response to the WARC files, fsynced before anything points at it:
    now, or (``sync=False``) by ``WarcWriter.durable`` just before its row commits."""
    if ctx.captures is None or fetched.not_modified:
        return None
    return ctx.captures.write(
        fetched.url,
        request_headers=list(fetched.request_headers),
        status=fetched.status,
        response_headers=list(fetched.headers),
        body=fetched.content,
        fetched_at=fetched.fetched_at or ctx.clock(),
        previous=previous,
        source=source,
        sync=sync,
    )


@dataclass(frozen=True)
class Page:
    """One article page fetched, captured and extracted, ready to be filed (or failed)."""

    link: Link
    update: LinkUpdate | None
    t0: float
    requests: tuple[RequestRecord, ...] = ()
    fetched: Fetched | None = None
    capture: CaptureRef | None = None
    article: Article | None = None
    keys: StoryKeys | None = None  # dedup keys, when the extraction worker computed them
    search: Analyzed | None = None  # the analyzed index text, likewise
    error: str | None = None
    gone: bool = False  # the site answered 404/410


def extract_page(ctx: PollContext, fetched: Fetched) -> Prepared:
    """Extraction in a worker process when the context has a pool, else right here (the
    store then computes the keys and the index text itself)."""
    if ctx.extractor is not None:
        return ctx.extractor.extract_keyed(
            fetched.content, fetched.url, charset=fetched.charset, now=ctx.clock(), stop=ctx.stop
        )
    from archiver.extract.core import extract

    return (
        extract(
            fetched.content,
            fetched.url,
            charset=fetched.charset,
            rules=ctx.rules or None,
            now=ctx.clock(),
        ),
        None,
        None,
    )


def fetch_page(
    link: Link, source: SourceConfig, ctx: PollContext, update: LinkUpdate | None = None
) -> Page:
    """Fetch, capture and extract one article page (no archive write but the capture);
    safe to run on several threads at once."""
    t0 = time.monotonic()
    requests: tuple[RequestRecord, ...] = ()
    fetched = ref = None
    try:
        fetched = ctx.fetcher.get(link.url, kind="page")
        requests = fetched.requests
        previous = ctx.store.last_capture(canonical_url(fetched.url))
        # fsynced when its row is filed: the pages fetched meanwhile share that fsync
        ref = capture(ctx, fetched, source.name, previous, sync=False)
        article, keys, search = extract_page(ctx, fetched)
    except ArchiverError as exc:
        gone = isinstance(exc, HTTPStatusError) and exc.status in (404, 410)
        requests = requests or getattr(exc, "requests", ())
        return Page(link, update, t0, requests, fetched, ref, error=str(exc), gone=gone)
    except Exception as exc:  # a bad page (or a parser bug) is recorded, never stops its source
        error = f"{type(exc).__name__}: {exc}"[:500]
        return Page(link, update, t0, requests, fetched, ref, error=error)
    return Page(link, update, t0, requests, fetched, ref, article=article, keys=keys, search=search)


def archive_link(
    link: Link, source: SourceConfig, ctx: PollContext, update: LinkUpdate | None = None
) -> tuple[ArticleOutcome, str | None]:
    """Fetch, capture, extract and store one article page; returns the outcome
    ("new" | "revision" | "unchanged" | "alias" | "skipped" | "gone" | "failed") and an
    error. "gone": a revisit found the archived story removed from its site."""
    return file_page(fetch_page(link, source, ctx, update), source, ctx)


def file_page(
    page: Page, source: SourceConfig, ctx: PollContext
) -> tuple[ArticleOutcome, str | None]:
    """Store what ``fetch_page`` got (one transaction), or record its failure; log it."""
    store = ctx.store
    update, article, fetched = page.update, page.article, page.fetched
    outcome: ArticleOutcome = "failed"
    error, url = page.error, page.link.url
    link_key = canonical_url(page.link.url)
    try:
        if article is None or fetched is None:
            pass
        elif article.page_kind != "article":
            outcome, error = "skipped", f"not an article ({article.page_kind})"
            if update is not None and update.revisited:
                store.remember_link(update, source=source.name, seen_at=ctx.clock())
        else:
            url = canonical_url(fetched.url, article.canonical_url)
            article = dataclasses.replace(article, url=url)
            if page.capture is not None and ctx.captures is not None:
                ctx.captures.durable(page.capture)  # on disk before the row points at it
            saved = store.save_article(
                article,
                source=source.name,
                fetched_url=fetched.url,
                seen_at=ctx.clock(),
                capture=page.capture,
                link=update,
                keys=page.keys,
                search=page.search,
            )
            outcome = saved.outcome
    except ArchiverError as exc:
        error = str(exc)
    except Exception as exc:  # a page the store cannot file is recorded, never stops its source
        error = f"{type(exc).__name__}: {exc}"[:500]
    if outcome == "failed" and ctx.stop.is_set():
        outcome = "interrupted"  # the page in flight when told to stop: not its failure
    store.record_fetches(source.name, page.requests)
    if outcome == "failed" and update is not None and update.revisited:
        # a story gone since (404/410) is marked so; the ladder moves on all the same
        if page.gone and store.mark_gone(link_key, ctx.clock()):
            outcome = "gone"
        store.remember_link(update, source=source.name, seen_at=ctx.clock())
    elif outcome in ("failed", "skipped"):
        # a page that is not an article is given up on at once; a failure gets retries
        store.record_failure(
            link_key, source.name, error or outcome, ctx.clock(), final=outcome == "skipped"
        )
    level = logging.WARNING if outcome in ("failed", "gone") else logging.INFO
    event(
        ctx.logger,
        "article",
        level=level,
        source=source.name,
        url=url,
        outcome=outcome,
        ms=int((time.monotonic() - page.t0) * 1000),
        error=error,
    )
    return outcome, error


def _report(
    ctx: PollContext,
    source: SourceConfig,
    outcome: PollOutcome,
    t0: float,
    *,
    error: str | None = None,
    new: int = 0,
    seen: int = 0,
    skipped: int = 0,
    failed: int = 0,
    errors: tuple[str, ...] = (),
) -> PollReport:
    report = PollReport(
        source=source.name,
        outcome=outcome,
        new=new,
        seen=seen,
        skipped=skipped,
        failed=failed,
        ms=int((time.monotonic() - t0) * 1000),
        error=error,
        errors=errors,
    )
    level = logging.WARNING if outcome in ("failed", "blocked") else logging.INFO
    event(
        ctx.logger,
        "poll",
        level=level,
        source=source.name,
        outcome=outcome,
        new=new,
        seen=seen,
        skipped=skipped,
        failed=failed,
        ms=report.ms,
        error=error,
    )
    return report
