"""The small frozen dataclasses that flow between the stages.

Every arrow of the data flow (DESIGN.md) is a function call that takes and returns these.
Datetimes are always timezone-aware; the store keeps them in UTC.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

#: The kinds of listing a source can be: RSS/Atom feed, (news) sitemap, HTML section page.
ListingKind = Literal["feed", "sitemap", "page"]
KINDS: tuple[ListingKind, ...] = ("feed", "sitemap", "page")

#: What one poll of one source came to (``PollReport.outcome``; the first four are also
#: ``sources.last_outcome``): blocked is robots.txt or the private-address guard saying no,
#: interrupted a stop asked for mid-poll, busy another poller holding the source's lease.
PollOutcome = Literal["ok", "not_modified", "failed", "blocked", "interrupted", "busy"]

#: What fetching one article page came to (the ``article`` log line, ``archiver reextract``):
#: the four filing outcomes of ``dedup.filing``, or skipped (not an article), gone (a revisit
#: found it removed from its site), failed (recorded, retried), interrupted (in flight when a
#: stop was asked for: not held against the page).
ArticleOutcome = Literal[
    "new", "revision", "unchanged", "alias", "skipped", "gone", "failed", "interrupted"
]

#: What ``extract`` says a page is; only articles are archived.
PageKind = Literal["article", "section", "video", "not_found"]


@dataclass(frozen=True, slots=True)
class Link:
    """One entry of a listing (feed item, sitemap <url>, anchor of a section page)."""

    url: str
    guid: str | None = None
    title: str | None = None
    published: datetime | None = None
    updated: datetime | None = None  # feed <updated> / sitemap <lastmod>


@dataclass(frozen=True, slots=True)
class Listing:
    """What a feed, sitemap or section page says: its links and how fresh it claims to be."""

    links: tuple[Link, ...]
    sitemaps: tuple[str, ...] = ()  # child sitemaps of a sitemap index
    ttl: timedelta | None = None  # RSS <ttl> / sy:updatePeriod, when the feed gives one
    title: str | None = None


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One HTTP request as the fetch log keeps it (redirect hops and retries included)."""

    url: str
    at: datetime
    status: int | None
    bytes: int
    ms: int
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Fetched:
    """A response whose body was read in full, within the caps."""

    url: str  # final URL, after redirects
    requested_url: str
    status: int  # 200, or 304 when a conditional GET matched
    content: bytes  # decoded from Content-Encoding, not from its charset
    headers: tuple[tuple[str, str], ...] = ()
    charset: str | None = None  # from Content-Type
    etag: str | None = None
    last_modified: str | None = None
    fetched_at: datetime | None = None
    elapsed_ms: int = 0
    freshness: timedelta | None = None  # from Cache-Control max-age / Expires
    requests: tuple[RequestRecord, ...] = ()
    request_headers: tuple[tuple[str, str], ...] = ()  # of the request that got this answer

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        for key, value in self.headers:
            if key.lower() == wanted:
                return value
        return None


@dataclass(frozen=True, slots=True)
class Dateline:
    """The wire dateline as written (``BAKU, January 30. /TASS/.``) and its parts."""

    text: str
    place: str | None = None
    date: str | None = None  # the date as written: "January 30", "29 июня", "Aug. 20"
    agency: str | None = None  # "TASS", "Reuters", "AP", "Yonhap", ...


@dataclass(frozen=True, slots=True)
class Article:
    """One extracted article page. ``body`` keeps the dateline at its start."""

    url: str
    title: str | None
    body: str
    lead: str | None = None
    dateline: Dateline | None = None
    published: datetime | None = None
    published_from: str | None = None  # "jsonld", "meta", "time", "byline", "url", "rule"
    updated: datetime | None = None
    updated_from: str | None = None
    authors: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    section: str | None = None
    language: str | None = None
    canonical_url: str | None = None
    site_name: str | None = None
    agency: str | None = None
    paywalled: bool = False
    extractor: str = "generic"  # "rule:<name>", "jsonld", "generic"
    page_kind: PageKind = "article"
    encoding: str | None = None  # the charset the page was decoded with

    @property
    def text(self) -> str:
        """Lead and body as one text (the lead is left out when the body opens with it)."""
        if self.lead and not self.body.startswith(self.lead):
            return f"{self.lead}\n\n{self.body}"
        return self.body

    @property
    def word_count(self) -> int:
        """Words of title, lead and body by the extractor's rule (a CJK character counts)."""
        from archiver.extract.text import word_count  # (extract imports models: no cycle)

        return word_count(self.text)


@dataclass(frozen=True, slots=True)
class SearchHit:
    id: int
    url: str
    source: str | None
    title: str | None
    published: datetime | None
    snippet: str
    language: str | None = None
    cluster_id: int | None = None
    rank: float | None = None


@dataclass(frozen=True, slots=True)
class PollReport:
    """The outcome of one poll of one source (one log line)."""

    source: str
    outcome: PollOutcome
    new: int = 0  # articles archived by this poll
    seen: int = 0  # links in the listing
    skipped: int = 0  # links already archived, not fetched
    failed: int = 0  # article pages that failed (recorded, skipped)
    ms: int = 0
    error: str | None = None
    errors: tuple[str, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class CaptureRef:
    """Where one response (or revisit) record lies: store these six in the revision row."""

    file: str  # file name relative to the captures root
    offset: int  # byte offset of the record's gzip member
    length: int  # bytes of that member
    record_id: str  # WARC-Record-ID, "<urn:uuid:...>"
    payload_digest: str  # WARC-Payload-Digest of the body, "sha1:<base32>"
    revisit: bool = False  # a revisit record: the body lives in the record it refers to


# ---- what the read side returns (``Store.sources_health``, ``revisions``, ``article_urls``)


@dataclass(frozen=True, slots=True)
class SourceHealth:
    """One source's row in ``sources`` with its article count (``archiver sources``);
    times are the archive's ISO 8601 UTC text."""

    name: str
    kind: str
    url: str
    every_s: float = 0.0
    enabled: bool = True
    etag: str | None = None
    last_modified: str | None = None
    last_polled: str | None = None
    last_outcome: str | None = None
    next_check: str | None = None
    error_count: int = 0
    last_error: str | None = None
    polls: int = 0
    not_modified: int = 0
    articles: int = 0

    @classmethod
    def from_row(cls, r: Mapping[str, Any]) -> SourceHealth:
        """From a ``sources`` row joined with its article count (``articles``)."""
        return cls(
            name=r["name"],
            kind=r["kind"],
            url=r["url"],
            every_s=r["every_s"] or 0.0,
            enabled=bool(r["enabled"]),
            etag=r["etag"],
            last_modified=r["last_modified"],
            last_polled=r["last_polled"],
            last_outcome=r["last_outcome"],
            next_check=r["next_check"],
            error_count=r["error_count"] or 0,
            last_error=r["last_error"],
            polls=r["polls"] or 0,
            not_modified=r["not_modified"] or 0,
            articles=r["articles"] or 0,
        )


@dataclass(frozen=True, slots=True)
class Revision:
    """One version of an article as ``revisions`` keeps it (``changed``: the fields that
    changed from the version before; empty for the first), with its capture pointer."""

    id: int
    article_id: int
    number: int
    seen_at: str
    content_hash: str | None = None
    changed: tuple[str, ...] = ()
    title: str | None = None
    lead: str | None = None
    body: str | None = None
    published: str | None = None
    updated: str | None = None
    fetched_url: str | None = None
    warc_file: str | None = None
    warc_offset: int | None = None
    warc_length: int | None = None
    warc_record_id: str | None = None
    payload_digest: str | None = None

    @property
    def capture(self) -> CaptureRef | None:
        """The WARC record this version was read from, when it was captured."""
        if (
            self.warc_file is None
            or self.warc_offset is None
            or self.warc_length is None
            or self.warc_record_id is None
            or self.payload_digest is None
        ):
            return None
        return CaptureRef(
            self.warc_file,
            self.warc_offset,
            self.warc_length,
            self.warc_record_id,
            self.payload_digest,
        )


@dataclass(frozen=True, slots=True)
class ArticleURL:
    """One URL an article is known by: ``canonical``, ``fetched`` or ``alias``."""

    url: str
    kind: str
    first_seen: str | None = None
