"""Site rules: per-domain CSS selectors, kept as data.

A rule names the domains it covers and, for each field, a CSS selector (a selector group
``a, b`` is fine; the first group member that yields a value wins, in document order). The
built-in rules live in ``builtin_rules.toml`` beside this module; users add or override rules
with ``[[rules]]`` tables in config.toml, read by :func:`rule_from_config`. A user rule for a
domain is tried before the built-in ones.

Values: ``title``/``lead`` take the element text; ``published``/``updated`` take the
``datetime``, ``content``, ``time`` or ``data-time`` attribute, else the text; ``authors`` and
``tags`` take the text of every match; ``body`` takes every match as a container of
paragraphs, after removing what ``drop`` matches inside it.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from functools import lru_cache
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

from cssselect import HTMLTranslator, SelectorError
from lxml import etree

from archiver.errors import ConfigError
from archiver.extract.dates import zone

BUILTIN_RULES = "builtin_rules.toml"
SELECTOR_FIELDS = ("title", "lead", "body", "drop", "authors", "tags", "published", "updated")


@dataclass(frozen=True, slots=True)
class SiteRule:
    name: str
    domains: tuple[str, ...]
    title: str | None = None
    lead: str | None = None
    body: str | None = None
    drop: str | None = None
    authors: str | None = None
    tags: str | None = None
    published: str | None = None
    updated: str | None = None
    timezone: str | None = None  # IANA name, for times the site writes without a zone
    agency: str | None = None  # the agency the site belongs to ("TASS"), when it is one

    def covers(self, host: str) -> bool:
        host = host.lower().rstrip(".")
        return any(host == d or host.endswith("." + d) for d in self.domains)


_TRANSLATOR = HTMLTranslator()


@lru_cache(maxsize=512)
def selector(css: str) -> etree.XPath:
    """A CSS selector compiled to plain XPath (cached: rules are few, pages are many).

    cssselect's own translator is used rather than lxml.cssselect, whose ``:contains()``
    calls a Python extension function from inside XPath.
    """
    return etree.XPath(_TRANSLATOR.css_to_xpath(css))


def host_of(url: str | None) -> str:
    if not url:
        return ""
    try:
        return (urlsplit(url.strip()).hostname or "").lower()
    except ValueError:
        return ""


def find_rule(rules: Sequence[SiteRule], *urls: str | None) -> SiteRule | None:
    """The first rule covering the first URL whose host some rule covers."""
    for url in urls:
        host = host_of(url)
        if not host:
            continue
        for rule in rules:
            if rule.covers(host):
                return rule
    return None


@lru_cache(maxsize=1)
def builtin_rules() -> tuple[SiteRule, ...]:
    """The rules shipped with archiver (``builtin_rules.toml``)."""
    text = resources.files("archiver.extract").joinpath(BUILTIN_RULES).read_text("utf-8")
    data = tomllib.loads(text)
    return tuple(
        rule_from_config(t, i, where="builtin rules") for i, t in enumerate(data.get("rules", []))
    )


def choose_rule(user: Sequence[SiteRule] | None, *urls: str | None) -> SiteRule | None:
    """The rule for a page: a user rule for its domain extends (field by field) the built-in
    rule for that domain, or stands alone; else the built-in rule; else None."""
    for url in urls:
        host = host_of(url)
        if not host:
            continue
        mine = next((r for r in user or () if r.covers(host)), None)
        builtin = next((r for r in builtin_rules() if r.covers(host)), None)
        if mine and builtin:
            changes = {f: getattr(mine, f) for f in _FIELDS if getattr(mine, f) is not None}
            return replace(builtin, **changes)
        if mine or builtin:
            return mine or builtin
    return None


_FIELDS = tuple(f.name for f in fields(SiteRule))


def rule_from_config(table: object, index: int, *, where: str = "rules") -> SiteRule:
    """A SiteRule from one ``[[rules]]`` table; every mistake is one ConfigError line."""
    key = f"{where}[{index}]"
    if not isinstance(table, Mapping):
        raise ConfigError(f"{key}: expected a table, got {type(table).__name__}")
    for name in table:
        if name not in _FIELDS:
            raise ConfigError(f"{key}.{name}: unknown key{_closest(str(name))}")
    domains = _domains(table.get("domains"), f"{key}.domains")
    values: dict[str, Any] = {}
    for name in (*SELECTOR_FIELDS, "timezone", "agency", "name"):
        value = table.get(name)
        if value is None:
            continue
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{key}.{name}: expected a non-empty string, got {value!r}")
        values[name] = value.strip()
    for name in SELECTOR_FIELDS:
        if name in values:
            try:
                selector(values[name])
            except (SelectorError, etree.XPathError, ValueError, TypeError) as exc:
                raise ConfigError(
                    f"{key}.{name}: bad CSS selector {values[name]!r}: {exc}"
                ) from None
    if "timezone" in values and zone(values["timezone"]) is None:
        raise ConfigError(
            f"{key}.timezone: {values['timezone']!r} is not a time zone name "
            "(write an IANA name such as Europe/Moscow or UTC)"
        )
    values.setdefault("name", domains[0])
    return SiteRule(domains=domains, **values)


def _domains(value: object, key: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not value:
        raise ConfigError(f'{key}: missing (a rule needs at least one domain, e.g. "tass.com")')
    if not isinstance(value, list):
        raise ConfigError(f"{key}: expected a list of domain names, got {value!r}")
    out = []
    for item in value:
        if not isinstance(item, str) or not item.strip() or "/" in item or " " in item.strip():
            raise ConfigError(f'{key}: {item!r} is not a domain name (write e.g. "tass.com")')
        out.append(item.strip().lower().removeprefix("www.").rstrip("."))
    return tuple(out)


def _closest(name: str) -> str:
    import difflib

    match = difflib.get_close_matches(name, _FIELDS, n=1)
    return f" (did you mean {match[0]!r}?)" if match else ""
