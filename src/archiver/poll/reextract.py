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
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

from archiver.capture import CapturedResponse, CaptureRef, capture_files, iter_captures
from archiver.dedup import canonical_url
from archiver.errors import ArchiverError
from archiver.extract import SiteRule, extract
from archiver.fetch.headers import charset
from archiver.store import Store

Progress = Callable[[int], None]  # called with the bytes of captures read since last call


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


def reextract(
    store: Store,
    root: Path,
    *,
    source: str | None = None,
    rules: Sequence[SiteRule] = (),
    progress: Progress | None = None,
    stop: threading.Event | None = None,
) -> Counter[str]:
    """Re-run extraction over the captures under ``root``; returns outcome counts
    (new, revision, unchanged, alias, history, skipped, failed)."""
    roles = store.capture_roles()
    sources = {int(r[0]): r[1] for r in store.conn.execute("SELECT id, source FROM articles")}
    counts: Counter[str] = Counter()
    for ref, response in iter_captures(root):
        if progress:
            progress(ref.length)
        if stop is not None and stop.is_set():
            break
        counts[_one(store, ref, response, roles, sources, source, rules)] += 1
    return counts


def _one(
    store: Store,
    ref: CaptureRef,
    response: CapturedResponse,
    roles: dict[str, tuple[int, bool]],
    sources: dict[int, str | None],
    only: str | None,
    rules: Sequence[SiteRule],
) -> str:
    role = roles.get(ref.record_id)
    if role is not None and not role[1]:
        return "history"
    if ref.revisit or response.status != 200 or not _is_html(response):
        return "skipped"
    owner = sources.get(role[0]) if role else (_source_of(store, response.url) or response.source)
    if only is not None and owner != only:
        return "skipped"
    try:
        article = extract(
            response.body,
            response.url,
            charset=_charset(response),
            rules=rules or None,
            now=response.fetched_at,
        )
    except ArchiverError:
        return "failed"
    if article.page_kind != "article":
        return "skipped"
    article = dataclasses.replace(article, url=canonical_url(response.url, article.canonical_url))
    saved = store.save_article(
        article, source=owner, fetched_url=response.url, seen_at=response.fetched_at, capture=ref
    )
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
