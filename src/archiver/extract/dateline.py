"""Wire datelines at the start of a body -> Dateline(text, place, date, agency); reporters.

The forms are data (``datelines.toml`` beside this module), e.g.::

    BAKU, January 30. /TASS/.            МОСКВА, 9 мая — РИА Новости.
    KATHMANDU, April 25 (Reuters) -      NASHVILLE, Tenn. (AP) —
    SEOUL, Aug. 20 (Yonhap) --           (서울=연합뉴스) 김철수 기자 =
    (ANSA) - ROMA, 28 LUG -              新华社北京1月30日电
    TOKYO, Jan. 1 Kyodo -                WASHINGTON, Jan. 5 (UPI) --

The text stays in the body as written; these are its parts. Anadolu's habit of a first
paragraph holding only the city (``ANKARA``, on its Turkish site ``Ankara``) takes its agency
from the site rule. A form with a ``byline`` group (Yonhap's Korean ``김철수 기자``) also
names the story's reporters (``dateline_reporters``).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from archiver.models import Dateline

DATA = "datelines.toml"
_HEAD = 200
_DIGIT = re.compile(r"\d")
_NAMES = re.compile(r"[\s·,]+")


@dataclass(frozen=True, slots=True)
class Form:
    name: str
    pattern: re.Pattern[str]
    upper: bool = True
    needs_date_or_sep: bool = False


@dataclass(frozen=True, slots=True)
class Forms:
    forms: tuple[Form, ...]
    city: re.Pattern[str]
    title_city: re.Pattern[str]
    title_case_agencies: frozenset[str]


@lru_cache(maxsize=1)
def forms() -> Forms:
    """The dateline forms of ``datelines.toml``, compiled."""
    data = tomllib.loads(resources.files("archiver.extract").joinpath(DATA).read_text("utf-8"))
    parts: dict[str, str] = data.get("parts", {})

    def expand(pattern: str) -> str:
        for _ in range(3):  # parts may use parts
            for name, value in parts.items():
                pattern = pattern.replace(f"<{name}>", value)
        return pattern

    compiled = tuple(
        Form(
            name=f["name"],
            pattern=re.compile(expand(f["pattern"])),
            upper=bool(f.get("upper", True)),
            needs_date_or_sep=bool(f.get("needs_date_or_sep", False)),
        )
        for f in data.get("forms", [])
    )
    city = data.get("city_line", {})
    return Forms(
        forms=compiled,
        city=re.compile(expand("^<PLACE>$")),
        title_city=re.compile(city.get("title_case", "(?!)")),
        title_case_agencies=frozenset(city.get("title_case_agencies", ())),
    )


FORMS = forms()


def parse_dateline(
    paragraph: str | None, *, agency: str | None = None, has_more: bool = True
) -> Dateline | None:
    """The dateline opening ``paragraph``, or None when it does not open with one."""
    if not paragraph:
        return None
    head = paragraph[:_HEAD]
    for form in FORMS.forms:
        match = form.pattern.match(head)
        if match is None:
            continue
        found = _dateline(match, form, agency)
        if found is not None:
            return found
    city = paragraph.strip()
    if not has_more or len(city) > 40:
        return None
    if FORMS.city.match(city) and _is_place(city.strip(" .")):
        return Dateline(text=city, place=city.strip(" ."), date=None, agency=agency)
    if agency in FORMS.title_case_agencies and FORMS.title_city.match(city):
        return Dateline(text=city, place=city, date=None, agency=agency)
    return None


def dateline_reporters(paragraph: str | None) -> tuple[str, ...]:
    """The reporters a dateline names (``(서울=연합뉴스) 김철수 이영희 기자 =`` -> both)."""
    if not paragraph:
        return ()
    head = paragraph[:_HEAD]
    for form in FORMS.forms:
        match = form.pattern.match(head)
        if match is None or _dateline(match, form, None) is None:
            continue
        byline = _group(match, "byline")
        return tuple(n for n in _NAMES.split(byline) if len(n) >= 2) if byline else ()
    return ()


def _group(match: re.Match[str], name: str) -> str | None:
    value = match.groupdict().get(name)
    return value.strip() if value and value.strip() else None


def _dateline(match: re.Match[str], form: Form, agency: str | None) -> Dateline | None:
    place = (_group(match, "place") or "").strip(" .")
    date = (_group(match, "date") or "").strip(" .,") or None
    found = _group(match, "agency")
    if form.upper and not _is_place(place):
        return None
    if date is not None and not _DIGIT.search(date):
        return None
    if form.needs_date_or_sep and not (date or _group(match, "sep")):
        return None
    region = _group(match, "region")
    if region:
        place = f"{place}, {region}"
    return Dateline(
        text=match.group(0).strip(), place=place or None, date=date, agency=found or agency
    )


def _is_place(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 2 and text == text.upper()
