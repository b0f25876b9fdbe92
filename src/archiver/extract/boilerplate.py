"""Trailers, promos and byline placeholders, as data (``boilerplate.toml``).

Paragraphs that only carry a site's trailer ("Our Standards: The Thomson Reuters Trust
Principles."), a newsletter box ("Sign up for AP's ..."), a syndication footer or a
subscription notice go; screen-reader labels ("opens new tab") go from inside sentences;
byline entries that name an agency or a desk, and job titles after a name, go.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

DATA = "boilerplate.toml"


@dataclass(frozen=True, slots=True)
class Patterns:
    line: tuple[re.Pattern[str], ...]
    inline: tuple[re.Pattern[str], ...]


@dataclass(frozen=True, slots=True)
class Boilerplate:
    general: Patterns
    sites: dict[str, Patterns]
    not_people: frozenset[str]
    job_title: re.Pattern[str]


def _patterns(table: dict[str, Any]) -> Patterns:
    return Patterns(
        line=tuple(re.compile(p, re.IGNORECASE) for p in table.get("line", [])),
        inline=tuple(re.compile(p, re.IGNORECASE) for p in table.get("inline", [])),
    )


@lru_cache(maxsize=1)
def load() -> Boilerplate:
    """The patterns of ``boilerplate.toml``, compiled."""
    data = tomllib.loads(resources.files("archiver.extract").joinpath(DATA).read_text("utf-8"))
    authors = data.get("authors", {})
    return Boilerplate(
        general=_patterns(data.get("general", {})),
        sites={name: _patterns(t) for name, t in data.get("sites", {}).items()},
        not_people=frozenset(n.casefold() for n in authors.get("not_people", [])),
        job_title=re.compile(authors.get("job_title", "(?!)")),
    )


BOILERPLATE = load()
_SPACES = re.compile(r" {2,}")


def strip(paragraphs: list[str], rule_name: str | None = None) -> list[str]:
    """``paragraphs`` without trailer/promo lines and inline screen-reader labels."""
    sets = [BOILERPLATE.general]
    if rule_name and rule_name in BOILERPLATE.sites:
        sets.append(BOILERPLATE.sites[rule_name])
    out: list[str] = []
    for para in paragraphs:
        if any(p.match(para) for s in sets for p in s.line):
            continue
        for s in sets:
            for p in s.inline:
                if p.search(para):
                    para = _SPACES.sub(" ", p.sub("", para)).strip()
        if para:
            out.append(para)
    return out


def person(name: str) -> str | None:
    """``name`` without a job title after it, or None when it names no person."""
    if name.casefold() in BOILERPLATE.not_people:
        return None
    match = BOILERPLATE.job_title.search(name)
    if match:
        name = name[: match.start()].rstrip(" ,;-–—")
    return name or None
