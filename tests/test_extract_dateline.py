"""Wire datelines: every style the issue lists, and text that only looks like one."""

from __future__ import annotations

import pytest

from archiver.extract.dateline import parse_dateline

STYLES = [
    (
        "BAKU, January 30. /TASS/. Azerbaijani Defense Minister said",
        "BAKU, January 30. /TASS/.",
        "BAKU",
        "January 30",
        "TASS",
    ),
    (
        "МОСКВА, 29 июня. /ТАСС/. Движение открывается",
        "МОСКВА, 29 июня. /ТАСС/.",
        "МОСКВА",
        "29 июня",
        "ТАСС",
    ),
    (
        "KATHMANDU, April 25 (Reuters) - Nepal's civil aviation",
        "KATHMANDU, April 25 (Reuters) -",
        "KATHMANDU",
        "April 25",
        "Reuters",
    ),
    ("MEXICO CITY (AP) — Mexico’s economy grew", "MEXICO CITY (AP) —", "MEXICO CITY", None, "AP"),
    (
        "SEOUL, Aug. 20 (Yonhap) -- North Korea said",
        "SEOUL, Aug. 20 (Yonhap) --",
        "SEOUL",
        "Aug. 20",
        "Yonhap",
    ),
    (
        "BEIJING, Jan. 5 (Xinhua) -- China will",
        "BEIJING, Jan. 5 (Xinhua) --",
        "BEIJING",
        "Jan. 5",
        "Xinhua",
    ),
    ("ANKARA (AA) - Türkiye said", "ANKARA (AA) -", "ANKARA", None, "AA"),
    ("PARIS (AFP) - France said", "PARIS (AFP) -", "PARIS", None, "AFP"),
    (
        "TOKYO, Jan. 1 Kyodo - Japan's government",
        "TOKYO, Jan. 1 Kyodo -",
        "TOKYO",
        "Jan. 1",
        "Kyodo",
    ),
    (
        "WASHINGTON, Jan. 1 (UPI) -- The Senate voted",
        "WASHINGTON, Jan. 1 (UPI) --",
        "WASHINGTON",
        "Jan. 1",
        "UPI",
    ),
    (
        "NEW YORK/LONDON, April 25 (Reuters) - Oil prices rose",
        "NEW YORK/LONDON, April 25 (Reuters) -",
        "NEW YORK/LONDON",
        "April 25",
        "Reuters",
    ),
    # AP with a state or a country after the city
    (
        "NASHVILLE, Tenn. (AP) — A judge ruled",
        "NASHVILLE, Tenn. (AP) —",
        "NASHVILLE, Tenn.",
        None,
        "AP",
    ),
    (
        "LA CROSSE, Wis. (AP) — The river rose",
        "LA CROSSE, Wis. (AP) —",
        "LA CROSSE, Wis.",
        None,
        "AP",
    ),
    ("KYIV, Ukraine (AP) — Drones struck", "KYIV, Ukraine (AP) —", "KYIV, Ukraine", None, "AP"),
    ("SANTA FE, N.M. (AP) — Lawmakers met", "SANTA FE, N.M. (AP) —", "SANTA FE, N.M.", None, "AP"),
    # ANSA, RIA, Xinhua in Chinese, Yonhap in Korean, Kyodo/UPI/Yonhap in English
    ("(ANSA) - ROMA, 28 LUG - Il governo ha", "(ANSA) - ROMA, 28 LUG -", "ROMA", "28 LUG", "ANSA"),
    (
        "МОСКВА, 9 мая — РИА Новости. Парад прошел",
        "МОСКВА, 9 мая — РИА Новости.",
        "МОСКВА",
        "9 мая",
        "РИА Новости",
    ),
    ("新华社北京1月30日电（记者王明）国务院", "新华社北京1月30日电", "北京", "1月30日", "新华社"),
    (
        "(서울=연합뉴스) 김철수 기자 = 정부는",
        "(서울=연합뉴스) 김철수 기자 =",
        "서울",
        None,
        "연합뉴스",
    ),
    ("TOKYO, Jan. 5 (Kyodo) -- Japan's", "TOKYO, Jan. 5 (Kyodo) --", "TOKYO", "Jan. 5", "Kyodo"),
    (
        "WASHINGTON, Jan. 5 (UPI) -- The",
        "WASHINGTON, Jan. 5 (UPI) --",
        "WASHINGTON",
        "Jan. 5",
        "UPI",
    ),
    ("SEOUL, Jan. 5 (Yonhap) -- South", "SEOUL, Jan. 5 (Yonhap) --", "SEOUL", "Jan. 5", "Yonhap"),
]


@pytest.mark.parametrize(("paragraph", "text", "place", "date", "agency"), STYLES)
def test_wire_styles(paragraph: str, text: str, place: str, date: str | None, agency: str) -> None:
    dateline = parse_dateline(paragraph)
    assert dateline is not None
    assert (dateline.text, dateline.place, dateline.date, dateline.agency) == (
        text,
        place,
        date,
        agency,
    )
    assert paragraph.startswith(dateline.text)  # as the agency wrote it


def test_anadolu_city_only_paragraph_takes_the_rule_agency() -> None:
    dateline = parse_dateline("ANKARA", agency="AA", has_more=True)
    assert dateline is not None
    assert (dateline.text, dateline.place, dateline.date, dateline.agency) == (
        "ANKARA",
        "ANKARA",
        None,
        "AA",
    )


def test_anadolu_title_case_city_line_only_on_its_own_site() -> None:
    dateline = parse_dateline("Ankara", agency="AA", has_more=True)
    assert dateline is not None
    assert (dateline.text, dateline.place, dateline.date, dateline.agency) == (
        "Ankara",
        "Ankara",
        None,
        "AA",
    )
    assert parse_dateline("Ankara", agency=None, has_more=True) is None
    assert parse_dateline("Thursday", agency="TASS", has_more=True) is None


def test_every_form_in_the_data_file_reads_its_own_example() -> None:
    import tomllib
    from importlib import resources

    data = tomllib.loads(
        resources.files("archiver.extract").joinpath("datelines.toml").read_text("utf-8")
    )
    for form in data["forms"]:
        dateline = parse_dateline(form["example"] + " Text of the story.")
        assert dateline is not None and dateline.text == form["example"], form["name"]


def test_city_only_needs_a_paragraph_after_it() -> None:
    assert parse_dateline("ANKARA", agency="AA", has_more=False) is None


@pytest.mark.parametrize(
    "paragraph",
    [
        "NATO (North Atlantic Treaty Organization) said on Monday",
        "The US (and its allies) - said nothing",
        "Officials said on Monday that the talks, January 30, would go ahead",
        "",
        "Paris, January 30 (Reuters) - lower-case place names are not wire datelines",
        "WASHINGTON, Monday (AP) said nothing",
        "(서울) 김철수 =",
    ],
)
def test_not_a_dateline(paragraph: str) -> None:
    assert parse_dateline(paragraph) is None
