"""Trailers, promos, byline placeholders and job titles (boilerplate.toml); CJK titles and
word counts."""

from __future__ import annotations

import pytest

from archiver.extract.boilerplate import person, strip
from archiver.extract.headline import strip_suffix
from archiver.extract.metadata import clean_authors, split_names
from archiver.extract.text import word_count


@pytest.mark.parametrize(
    "line",
    [
        "Our Standards: The Thomson Reuters Trust Principles.",
        "Sign up for AP's Morning Wire newsletter to get the day's top stories.",
        "Get local news delivered to your inbox!",
        "Subscribe to our free daily newsletter for more stories like this.",
    ],
)
def test_trailers_go_everywhere(line: str) -> None:
    assert strip(["The story.", line]) == ["The story."]


def test_site_trailers_only_on_their_site() -> None:
    line = "AP is solely responsible for all content."
    assert strip(["The story.", line], "ap") == ["The story."]
    assert strip(["The story.", line], "bbc") == ["The story.", line]


def test_sentences_that_start_alike_stay() -> None:
    kept = [
        "Sign up forms were handed out at the door, the organisers said.",
        "Our standards of care have improved, the hospital said in a report.",
    ]
    assert strip(kept, "ap") == kept


def test_screen_reader_labels_go_from_inside_sentences() -> None:
    got = strip(["Shares rose after a filing, opens new tab with the regulator."])
    assert got == ["Shares rose after a filing with the regulator."]


@pytest.mark.parametrize(
    "name",
    ["ТАСС", "Agenzia ANSA", "Reuters Editorial", "UOL", "AP Technology Writer", "Staff Writer"],
)
def test_no_person(name: str) -> None:
    assert person(name) is None
    assert clean_authors([name], None) == ()


def test_job_title_after_a_name_goes() -> None:
    assert person("Matt O'Brien AP Technology Writer") == "Matt O'Brien"
    names = split_names("By Jane Roe, AP Technology Writer and John Doe")
    assert clean_authors(names, "AP News") == ("Jane Roe", "John Doe")


def test_title_suffix_glued_in_another_script() -> None:
    title = "春运首日：这是一座温暖的城！"
    assert strip_suffix(f"{title}-新华网", None) == title
    assert strip_suffix("春运首日_新华网", None) == "春运首日"
    assert strip_suffix("A-B test results", None) == "A-B test results"


def test_word_count_counts_cjk_characters() -> None:
    zh = "今年春节前夕城市志愿者走上街头为返乡旅客提供引导和帮助" * 10
    assert word_count(zh) == len(zh)
    assert word_count("Two words") == 2
    assert word_count("东京 Tokyo 大阪") == 5


@pytest.mark.parametrize(
    "line",
    [
        "By Jane Roe | November 20, 2019 10:43",
        "By JERUSALEM POST STAFF NOVEMBER 20, 2019 10:43",
        "by ライトハウス国際特許事務所 ／ 2016.12.01",
        "By Jane Roe, 20 Nov 2019",
        "STR/AFP via Getty Images",
        "Externer Inhalt nicht verfügbar",
    ],
)
def test_byline_date_lines_credits_and_placeholders_go(line: str) -> None:
    assert strip([line]) == []


@pytest.mark.parametrize(
    "line",
    [
        "By March 3, 2020 the board had voted to close the old bridge.",
        "By Jane Roe",
        "Getty Images said on Monday it would cut 300 jobs.",
    ],
)
def test_sentences_that_start_like_a_byline_stay(line: str) -> None:
    assert strip([line]) == [line]


def test_short_labels_may_repeat_but_paragraphs_may_not() -> None:
    from archiver.extract.generic import clean

    para = "Porridge made with oats and milk, a sliced apple and a pot of tea for every guest."
    lines = ["Plan A", "Breakfast", para, "Plan B", "Breakfast", "Eggs on toast.", para]
    assert clean(lines) == lines[:-1]


def test_entities_escaped_twice_are_decoded_once() -> None:
    from archiver.extract.generic import clean

    assert clean(["&quot;Run ahead &ndash; far ahead,&quot; she said."]) == [
        '"Run ahead – far ahead," she said.'
    ]
    assert clean(["AT&T and Q&A stay as written."]) == ["AT&T and Q&A stay as written."]
