"""The one error tree of archiver.

Every failure the program expects is an ``ArchiverError``; the CLI turns it into one line on
stderr and a non-zero exit, the pipeline records it on the source or the article it belongs
to and carries on.

    ArchiverError
    ├── ConfigError          config.toml is missing, unreadable or wrong (names the key)
    ├── FetchError           an HTTP request did not give a usable body
    │   ├── FetchTimeout         connect/read timeout or the wall-clock deadline passed
    │   ├── ConnectFailed        refused, reset, DNS failure, TLS error, broken HTTP
    │   ├── TooLarge             the decoded body passed the byte cap
    │   ├── PrivateAddress       the host is (or resolves to) a private/loopback address
    │   ├── BadRedirect          too many hops, a loop, or a non-http(s) target
    │   ├── HTTPStatusError      4xx/5xx after retries (carries status and Retry-After)
    │   └── RobotsDisallowed     robots.txt forbids the URL (or could not be read: 5xx)
    ├── ParseError           a listing or page could not be parsed
    │   ├── UnsafeXML            DTD/entity declarations in a feed or sitemap
    │   └── ExtractTimeout       a page's extraction ran past its time budget
    ├── StoreError           the archive database could not be opened or written
    ├── QueryError           a search query that cannot be run (friendly message)
    └── NotFound             `show` of an article that is not in the archive
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from archiver.models import RequestRecord


class ArchiverError(Exception):
    """Base of every error archiver expects and reports in one line."""

    def __str__(self) -> str:  # one line, always
        text = super().__str__() or self.__class__.__name__
        return " ".join(text.split())


class ConfigError(ArchiverError):
    """config.toml is missing, unreadable or wrong (the message names the key)."""


class FetchError(ArchiverError):
    """An HTTP request did not give a usable body."""

    def __init__(self, message: str, *, url: str | None = None) -> None:
        super().__init__(message)
        self.url = url
        # every HTTP request made on the way (hops, retries), for the fetch log
        self.requests: tuple[RequestRecord, ...] = ()


class FetchTimeout(FetchError):
    """A connect/read timeout, or the request's wall-clock deadline passed."""


class ConnectFailed(FetchError):
    """Refused, reset, DNS failure, TLS error or broken HTTP."""


class TooLarge(FetchError):
    """The decoded body passed the byte cap."""


class PrivateAddress(FetchError):
    """The host is (or resolves to) a private or loopback address."""


class BadRedirect(FetchError):
    """Too many hops, a loop, or a non-http(s) target."""


class HTTPStatusError(FetchError):
    """A 4xx/5xx after retries (carries the status and Retry-After)."""

    def __init__(
        self,
        message: str,
        *,
        url: str | None = None,
        status: int,
        retry_after: datetime | None = None,
    ) -> None:
        super().__init__(message, url=url)
        self.status = status
        self.retry_after = retry_after


class RobotsDisallowed(FetchError):
    """robots.txt forbids the URL; ``unreachable`` when it could not be read at all
    (5xx, timeout, no connection: RFC 9309 says disallow until it can be read)."""

    def __init__(self, message: str, *, url: str | None = None, unreachable: bool = False) -> None:
        super().__init__(message, url=url)
        self.unreachable = unreachable


class ParseError(ArchiverError):
    """A listing or page could not be parsed."""


class UnsafeXML(ParseError):
    """DTD or entity declarations in a feed or sitemap."""


class ExtractTimeout(ParseError):
    kind = "extract_timeout"


class StoreError(ArchiverError):
    """The archive database could not be opened or written."""


class QueryError(ArchiverError):
    """A search query that cannot be run (the message is friendly)."""


class NotFound(ArchiverError):
    """``show`` of an article that is not in the archive."""
