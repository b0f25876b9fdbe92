"""Wire datelines: every style the issue lists, and text that only looks like one."""

from __future__ import annotations

import pytest

from archiver.extract.dateline import parse_dateline

STYLES = [
    ("BAKU, January 30. /TASS/. Azerbaijani Defense Minister said", "BAKU, January 30. /TASS/.",
     "BAKU", "January 30", "TASS"),
    ("МОСКВА, 29 июня. /ТАСС/. Движение открывается", "МОСКВА, 29 июня. /ТАСС/.",
     "МОСКВА", "29 июня", "ТАСС"),
    ("KATHMANDU, April 25 (Reuters) - Nepal's civil aviation", "KATHMANDU, April 25 (Reuters) -",
     "KATHMANDU", "April 25", "Reuters"),
    ("MEXICO CITY (AP) — Mexico’s economy grew", "MEXICO CITY (AP) —", "MEXICO CITY", None, "AP"),
    ("SEOUL, Aug. 20 (Yonhap) -- North Korea said", "SEOUL, Aug. 20 (Yonhap) --", "SEOUL",
     "Aug. 20", "Yonhap"),
    ("BEIJING, Jan. 5 (Xinhua) -- China will", "BEIJING, Jan. 5 (Xinhua) --", "BEIJING",
     "Jan. 5", "Xinhua"),
    ("ANKARA (AA) - Türkiye said", "ANKARA (AA) -", "ANKARA", None, "AA"),
    ("PARIS (AFP) - France said", "PARIS (AFP) -", "PARIS", None, "AFP"),
    ("TOKYO, Jan. 1 Kyodo - Japan's government", "TOKYO, Jan. 1 Kyodo -", "TOKYO", "Jan. 1",
     "Kyodo"),
    ("WASHINGTON, Jan. 1 (UPI) -- The Senate voted", "WASHINGTON, Jan. 1 (UPI) --",
     "WASHINGTON", "Jan. 1", "UPI"),
    ("NEW YORK/LONDON, April 25 (Reuters) - Oil prices rose",
     "NEW YORK/LONDON, April 25 (Reuters) -", "NEW YORK/LONDON", "April 25", "Reuters"),
]


@pytest.mark.parametrize(("paragraph", "text", "place", "date", "agency"), STYLES)
def test_wire_styles(paragraph: str, text: str, place: str, date: str | None,
                     agency: str) -> None:
    dateline = parse_dateline(paragraph)
    assert dateline is not None
    assert (dateline.text, dateline.place, dateline.date, dateline.agency) == (
        text, place, date, agency)
    assert paragraph.startswith(dateline.text)  # as the agency wrote it


def test_anadolu_city_only_paragraph_takes_the_rule_agency() -> None:
    dateline = parse_dateline("ANKARA", agency="AA", has_more=True)
    assert dateline is not None
    assert (dateline.text, dateline.place, dateline.date, dateline.agency) == (
        "ANKARA", "ANKARA", None, "AA")


def test_city_only_needs_a_paragraph_after_it() -> None:
    assert parse_dateline("ANKARA", agency="AA", has_more=False) is None


@pytest.mark.parametrize("paragraph", [
    "NATO (North Atlantic Treaty Organization) said on Monday",
    "The US (and its allies) - said nothing",
    "Officials said on Monday that the talks, January 30, would go ahead",
    "",
    "Paris, January 30 (Reuters) - lower-case place names are not wire datelines",
])
def test_not_a_dateline(paragraph: str) -> None:
    assert parse_dateline(paragraph) is None
