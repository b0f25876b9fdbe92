"""config.toml -> a frozen Config, parsed once at the edge.

Every mistake is reported as one ``ConfigError`` line that names the key
(``sources[2].every: "5 minutes" is not an interval; write 30s, 5m, 1h or 1d``).
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from archiver.errors import ConfigError
from archiver.models import KINDS

if TYPE_CHECKING:
    from archiver.extract.rules import SiteRule

DEFAULT_CONFIG = "config.toml"
DEFAULT_UA = "archiver/0.1 (+https://github.com/archiver-news/archiver; news archive bot)"

DEFAULT_REVISIT: tuple[timedelta, ...] = (
    timedelta(hours=1),
    timedelta(hours=6),
    timedelta(hours=24),
)
_INTERVAL = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}


@dataclass(frozen=True, slots=True)
class ArchiveSettings:
    path: Path = Path("var/archive.db")
    captures: Path = Path("var/captures")
    #: ``postgresql://...``: the archive lives in PostgreSQL instead of the SQLite ``path``
    url: str | None = None


@dataclass(frozen=True, slots=True)
class HttpSettings:
    user_agent: str = DEFAULT_UA
    timeout: float = 30.0  # seconds, whole request, wall clock
    max_bytes: int = 15 * 1024 * 1024  # decoded body bytes, pages and feeds
    sitemap_max_bytes: int = 100 * 1024 * 1024
    delay: float = 2.0  # seconds between two requests to one host
    obey_robots: bool = True
    allow_private: bool = False
    retries: int = 2
    max_redirects: int = 5


@dataclass(frozen=True, slots=True)
class DaemonSettings:
    tick: float = 15.0  # seconds between two looks at which sources are due
    workers: int = 4  # sources polled at once (hosts stay one request at a time)
    max_articles: int = 200  # new article pages fetched per poll of one source
    poll_timeout: float = 900.0  # a poll that runs longer is cut short and recorded
    sitemap_depth: int = 2  # sitemap index levels followed
    sitemap_children: int = 20  # child sitemaps read per poll
    # extraction worker processes (None: one per core; 0: extract in the polling thread)
    extract_workers: int | None = None
    extract_timeout: float = 20.0  # seconds one page's extraction may take; then it fails


@dataclass(frozen=True, slots=True)
class SourceConfig:
    name: str
    kind: str
    url: str
    every: timedelta = timedelta(minutes=15)
    links: str | None = None  # regex an article URL matches (required for kind = "page")
    enabled: bool = True
    revisit: tuple[timedelta, ...] = DEFAULT_REVISIT
    max_bytes: int | None = None

    @property
    def links_re(self) -> re.Pattern[str] | None:
        return re.compile(self.links) if self.links else None


@dataclass(frozen=True, slots=True)
class Config:
    path: Path | None = None
    archive: ArchiveSettings = field(default_factory=ArchiveSettings)
    http: HttpSettings = field(default_factory=HttpSettings)
    daemon: DaemonSettings = field(default_factory=DaemonSettings)
    sources: tuple[SourceConfig, ...] = ()
    rules: tuple[SiteRule, ...] = ()  # user-defined site rules ([[rules]])

    def source(self, name: str) -> SourceConfig:
        for source in self.sources:
            if source.name == name:
                return source
        known = ", ".join(s.name for s in self.sources) or "none configured"
        raise ConfigError(f"no source named {name!r} (known: {known})")


def parse_interval(value: object, key: str) -> timedelta:
    """``"30s"``, ``"5m"``, ``"1h"``, ``"1d"`` or a number of seconds -> timedelta (> 0)."""
    if isinstance(value, bool):
        raise ConfigError(f"{key}: {value!r} is not an interval; write 30s, 5m, 1h or 1d")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and (m := _INTERVAL.match(value)):
        seconds = float(m.group(1)) * _UNITS[m.group(2)]
    else:
        raise ConfigError(f"{key}: {value!r} is not an interval; write 30s, 5m, 1h or 1d")
    if seconds <= 0:
        raise ConfigError(f"{key}: the interval must be more than zero (got {value!r})")
    return timedelta(seconds=seconds)


class _Table:
    """A TOML table read key by key, so every mistake can name its key."""

    def __init__(self, data: object, where: str) -> None:
        if not isinstance(data, Mapping):
            raise ConfigError(f"{where}: expected a table, got {type(data).__name__}")
        self.data = dict(data)
        self.where = where
        self.used: set[str] = set()

    def key(self, name: str) -> str:
        return f"{self.where}.{name}" if self.where else name

    def get(self, name: str, kind: type | tuple[type, ...], default: Any = None) -> Any:
        self.used.add(name)
        if name not in self.data:
            return default
        value = self.data[name]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if isinstance(value, bool) and bool not in kinds:
            raise ConfigError(f"{self.key(name)}: expected {_names(kinds)}, got {value!r}")
        if not isinstance(value, kinds):
            raise ConfigError(f"{self.key(name)}: expected {_names(kinds)}, got {value!r}")
        return value

    def require(self, name: str, kind: type | tuple[type, ...]) -> Any:
        value = self.get(name, kind)
        if value is None or value == "":
            raise ConfigError(f"{self.key(name)}: missing (required)")
        return value

    def number(self, name: str, default: float, *, minimum: float = 0.0) -> float:
        value = self.get(name, (int, float), default)
        if value < minimum:
            raise ConfigError(f"{self.key(name)}: must be at least {minimum} (got {value!r})")
        return float(value)

    def integer(self, name: str, default: int, *, minimum: int = 0) -> int:
        value = self.get(name, int, default)
        if value < minimum:
            raise ConfigError(f"{self.key(name)}: must be at least {minimum} (got {value!r})")
        return int(value)

    def check_unknown(self, known: tuple[str, ...] = ()) -> None:
        for name in self.data:
            if name not in self.used and name not in known:
                hint = _closest(name, sorted(self.used | set(known)))
                raise ConfigError(f"{self.key(name)}: unknown key{hint}")


def _names(kinds: tuple[type, ...]) -> str:
    words = {
        str: "a string",
        int: "an integer",
        float: "a number",
        bool: "true or false",
        list: "a list",
        dict: "a table",
    }
    return " or ".join(words.get(k, k.__name__) for k in kinds)


def _closest(name: str, options: list[str]) -> str:
    import difflib

    match = difflib.get_close_matches(name, options, n=1)
    return f" (did you mean {match[0]!r}?)" if match else ""


def _archive(data: object, base: Path) -> ArchiveSettings:
    t = _Table(data, "archive")
    given_path = t.get("path", str, None)
    url = t.get("url", str, None)
    path = Path(given_path or "var/archive.db")
    captures = Path(t.get("captures", str, "var/captures"))
    t.check_unknown()
    if url is not None:
        if given_path is not None:
            raise ConfigError("[archive]: set either path (SQLite) or url (PostgreSQL), not both")
        if not url.startswith(("postgresql://", "postgres://")):
            raise ConfigError(f"[archive] url: {url.split('@')[-1]!r} is not a postgresql:// URL")
    return ArchiveSettings(path=_under(base, path), captures=_under(base, captures), url=url)


def _under(base: Path, path: Path) -> Path:
    return path if path.is_absolute() else base / path


def _http(data: object) -> HttpSettings:
    t = _Table(data, "http")
    d = HttpSettings()
    settings = HttpSettings(
        user_agent=t.get("user_agent", str, d.user_agent).strip() or d.user_agent,
        timeout=t.number("timeout", d.timeout, minimum=0.1),
        max_bytes=t.integer("max_bytes", d.max_bytes, minimum=1024),
        sitemap_max_bytes=t.integer("sitemap_max_bytes", d.sitemap_max_bytes, minimum=1024),
        delay=t.number("delay", d.delay),
        obey_robots=t.get("obey_robots", bool, d.obey_robots),
        allow_private=t.get("allow_private", bool, d.allow_private),
        retries=t.integer("retries", d.retries),
        max_redirects=t.integer("max_redirects", d.max_redirects),
    )
    t.check_unknown()
    return settings


def _daemon(data: object) -> DaemonSettings:
    t = _Table(data, "daemon")
    d = DaemonSettings()
    tick = t.get("tick", (str, int, float), None)
    settings = DaemonSettings(
        tick=parse_interval(tick, "daemon.tick").total_seconds() if tick is not None else d.tick,
        workers=t.integer("workers", d.workers, minimum=1),
        max_articles=t.integer("max_articles", d.max_articles, minimum=1),
        poll_timeout=t.number("poll_timeout", d.poll_timeout, minimum=1),
        sitemap_depth=t.integer("sitemap_depth", d.sitemap_depth),
        sitemap_children=t.integer("sitemap_children", d.sitemap_children),
        extract_workers=(t.integer("extract_workers", 0) if "extract_workers" in t.data else None),
        extract_timeout=t.number("extract_timeout", d.extract_timeout, minimum=0.1),
    )
    t.check_unknown()
    return settings


_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def _source(data: object, index: int) -> SourceConfig:
    where = f"sources[{index}]"
    t = _Table(data, where)
    name = t.get("name", str)
    if name:
        t.where = f"sources[{index}] ({name})"
    name = t.require("name", str)
    if not _NAME.match(name):
        raise ConfigError(f"{t.key('name')}: {name!r} must be letters, digits, '-', '_' or '.'")
    kind = t.get("kind", str, "feed")
    if kind not in KINDS:
        raise ConfigError(f"{t.key('kind')}: {kind!r} is not one of {', '.join(KINDS)}")
    url = t.require("url", str).strip()
    if not re.match(r"^https?://[^/\s]+", url, re.IGNORECASE):
        raise ConfigError(f"{t.key('url')}: {url!r} is not an http:// or https:// URL")
    every = parse_interval(t.get("every", (str, int, float), "15m"), t.key("every"))
    links = t.get("links", str)
    if links is not None:
        try:
            re.compile(links)
        except re.error as exc:
            raise ConfigError(f"{t.key('links')}: bad regex {links!r}: {exc}") from None
    if kind == "page" and not links:
        raise ConfigError(f"{t.key('links')}: missing (a page source needs a links regex)")
    revisit_raw = t.get("revisit", list, None)
    revisit = DEFAULT_REVISIT
    if revisit_raw is not None:
        revisit = tuple(
            parse_interval(v, f"{t.key('revisit')}[{i}]") for i, v in enumerate(revisit_raw)
        )
    max_bytes = t.get("max_bytes", int)
    source = SourceConfig(
        name=name,
        kind=kind,
        url=url,
        every=every,
        links=links,
        enabled=t.get("enabled", bool, True),
        revisit=revisit,
        max_bytes=max_bytes,
    )
    t.check_unknown()
    return source


def _rules(data: object) -> tuple[SiteRule, ...]:
    if not isinstance(data, list):
        raise ConfigError("rules: expected a list of [[rules]] tables")
    from archiver.extract.rules import rule_from_config

    return tuple(rule_from_config(table, i) for i, table in enumerate(data))


def parse_config(
    data: Mapping[str, Any], *, path: Path | None = None, with_rules: bool = True
) -> Config:
    """Build a Config from already-loaded TOML data (paths resolve against the file's folder).
    ``with_rules=False`` leaves the site rules unread (read commands: no extractor import)."""
    base = path.parent if path else Path.cwd()
    top = _Table(data, "")
    archive = _archive(top.get("archive", dict, {}), base)
    http = _http(top.get("http", dict, {}))
    daemon = _daemon(top.get("daemon", dict, {}))
    raw_sources = top.get("sources", list, [])
    sources = tuple(_source(s, i) for i, s in enumerate(raw_sources))
    seen: set[str] = set()
    for i, s in enumerate(sources):
        if s.name in seen:
            raise ConfigError(f"sources[{i}].name: {s.name!r} is used by two sources")
        seen.add(s.name)
    raw_rules = top.get("rules", list, [])
    rules = _rules(raw_rules) if with_rules and raw_rules else ()
    top.check_unknown()
    return Config(
        path=path, archive=archive, http=http, daemon=daemon, sources=sources, rules=rules
    )


def config_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    if explicit:
        return Path(explicit)
    env = os.environ.get("ARCHIVER_CONFIG")
    return Path(env) if env else Path(DEFAULT_CONFIG)


def load_config(path: str | os.PathLike[str] | None = None, *, with_rules: bool = True) -> Config:
    """Read and check config.toml; every problem is one ConfigError line."""
    file = config_path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{file}: no such config file (pass --config PATH)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{file}: cannot read: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: not valid TOML: {exc}") from None
    try:
        return parse_config(data, path=file.resolve(), with_rules=with_rules)
    except ConfigError as exc:
        raise ConfigError(f"{file}: {exc}") from None
