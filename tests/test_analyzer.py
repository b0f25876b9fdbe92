"""The search analyzer, alone and through ``archiver.search.search()`` on stories in many
languages (tests/fixtures/search/stories.json, this project's own text)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archiver.search import HL_END, HL_START, search
from archiver.search.analyzer import alternatives, analyze, fold, language_key, tokens
from archiver.search.snippets import make_snippet

from search_helpers import Story, build_archive

FIXTURE = Path(__file__).parent / "fixtures" / "search" / "stories.json"
STORIES = json.loads(FIXTURE.read_text(encoding="utf-8"))["stories"]


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("multilingual") / "archive.db"
    stories = [
        Story(
            url=f"https://agency.test/{s['id']}",
            title=s["title"],
            body=s["body"],
            language=s["language"],
            source=f"wire-{s['language']}",
        )
        for s in STORIES
    ]
    return build_archive(path, stories)


def _found(archive: Path, text: str) -> set[str]:
    return {h.url.rsplit("/", 1)[-1] for h in search(archive, text, all_versions=True)}


CASES = [(s["id"], q, True) for s in STORIES for q in s["finds"]] + [
    (s["id"], q, False) for s in STORIES for q in s["misses"]
]


@pytest.mark.parametrize(("story", "text", "finds"), CASES)
def test_the_readers_words_find_their_story(
    archive: Path, story: str, text: str, finds: bool
) -> None:
    assert (story in _found(archive, text)) is finds


def test_a_word_finds_only_its_own_language(archive: Path) -> None:
    # stems carry their language: Italian "governo" is not English "government"
    assert _found(archive, "governo") == {"it-government"}
    assert _found(archive, "Verhandlungen") == {"de-negotiations"}


def test_phrases_keep_order_and_adjacency(archive: Path) -> None:
    assert _found(archive, '"Verhandlungen der Koalitionsparteien"') == {"de-negotiations"}
    assert _found(archive, '"Koalitionsparteien der Verhandlungen"') == set()
    assert _found(archive, '"经济合作"') == {"zh-ministry"}
    assert _found(archive, '"合作经济"') == set()


def test_phrases_are_exact(archive: Path) -> None:
    # a bare word finds every form; quoted, only the words as written (case and accents folded)
    assert _found(archive, "Verhandlung Koalitionsparteien") == {"de-negotiations"}
    assert _found(archive, '"Verhandlung der Koalitionsparteien"') == set()
    assert _found(archive, '"VERHANDLUNGEN der koalitionsparteien"') == {"de-negotiations"}
    assert _found(archive, '"Verhandlung"') == set()
    assert _found(archive, '"Verhandlungen"') == {"de-negotiations"}
    assert _found(archive, "переговоры") == {"ru-talks"}
    assert _found(archive, '"переговоры"') == {"ru-talks"}  # the title has it as written
    assert _found(archive, '"переговорах в Женеве"') == {"ru-talks"}
    assert _found(archive, '"переговоров в Женеве"') == set()
    assert _found(archive, '"Koalitionspart"*') == {"de-negotiations"}
    assert _found(archive, '-"Verhandlung der" Koalitionsparteien') == {"de-negotiations"}
    assert _found(archive, 'title:"продолжат переговоры"') == {"ru-talks"}


def test_an_exact_phrase_is_marked_as_written(archive: Path) -> None:
    hits = search(archive, '"переговорах в Женеве"')
    assert f"{HL_START}переговорах в Женеве{HL_END}" in hits[0].snippet


def test_query_language_still_works_across_languages(archive: Path) -> None:
    assert _found(archive, "министр -журналист") == set()
    assert _found(archive, "министр OR 首相") == {"ru-talks", "ja-economy"}
    assert _found(archive, "title:переговоры") == {"ru-talks"}
    assert _found(archive, "title:министр") == set()  # only in the body
    assert _found(archive, "negotiat*") == set()  # English stems only: no English story has it
    assert _found(archive, "Verhandl*") == {"de-negotiations"}
    assert _found(archive, "서울 source:wire-ko") == {"ko-seoul"}
    assert _found(archive, "서울 source:wire-ja") == set()


def test_lang_limits_the_readings(archive: Path) -> None:
    hits = search(archive, "переговоры", lang="ru")
    assert [h.url.rsplit("/", 1)[-1] for h in hits] == ["ru-talks"]
    assert search(archive, "переговоры", lang="de") == []


@pytest.mark.parametrize(
    ("text", "marked"),
    [
        ("переговоры", "переговорах"),  # the body's inflected form, marked where it stands
        ("заседание", "заседания"),
        ("外交部", "外交部"),
        ("서울", "서울"),
        ("経済対策", "経済対策"),
        ("Verhandlung", "Verhandlungen"),
    ],
)
def test_snippets_mark_what_matched(archive: Path, text: str, marked: str) -> None:
    hits = search(archive, text)
    assert hits
    assert f"{HL_START}{marked}{HL_END}" in hits[0].snippet


def test_terms() -> None:
    # the analyzed terms, then the exact section (the words as written, marked with "_")
    assert analyze("Переговоры, переговорах; ЁЛКА", "ru") == (
        "переговор_ru переговор_ru елк_ru _переговоры _переговорах _елка"
    )
    assert analyze("Ankara'da İSTANBUL", "tr") == "ankar_tr da_tr istanbul_tr _ankara _da _istanbul"
    assert analyze("外交部发言人", "zh") == "外交 交部 部发 发言 言人 _外交 _交部 _部发 _发言 _言人"
    assert analyze("서울에서 Samsung 2024", "ko") == (
        "서울 울에 에서 samsung 2024 _서울 _울에 _에서 _samsung _2024"
    )
    assert analyze("café COVID-19", None) == "cafe covid 19 _cafe _covid _19"
    assert analyze("华", "zh") == "华 _华"  # a lone character stays a unigram
    # dictionary forms a stemmer alone cannot reach share the lemma's term
    assert analyze("blieb bleibt bleiben", "de").split()[:3] == ["bleib_de"] * 3
    assert analyze("gezeigt zeigte", "de").split()[:2] == ["zeig_de"] * 2
    assert (
        analyze("toplantılar toplantıda toplantı", "tr").split()[:3]
        == [analyze("toplantı", "tr").split()[0]] * 3
    )
    assert analyze("", "en") == analyze(None, "en") == ""
    assert fold("ñandú ı ø") == "nandu i o"
    assert language_key("en-US") == "en" and language_key("PT_br") == "pt"
    assert language_key("x") is None and language_key(None) is None


def test_spans_point_into_the_text() -> None:
    text = "A 外交部 b, Ärzte"
    for tok in tokens(text, "de"):
        assert text[tok.start : tok.end]
    assert [text[t.start : t.end] for t in tokens(text, "de")] == [
        "A",
        "外交",
        "交部",
        "b",
        "Ärzte",
    ]


def test_alternatives_read_a_word_in_each_language() -> None:
    assert alternatives("переговоры", ["ru"]) == (("переговоры",), ("переговор_ru",))
    # a typed dictionary form also means itself: Italian "impresa" (the noun) as its own
    # stem beside the stem of the verb the table reads it as
    assert alternatives("impresa", ["it"]) == (("impresa",), ("imprend_it",), ("impres_it",))
    # without a lemma table (Finnish), the word itself as a stem
    assert alternatives("neuvottelut", ["fi"])[-1] == ("neuvottelut_fi",)
    assert alternatives("外交部", ["ru", "en", None]) == (("外交", "交部"),)
    assert alternatives("🙂 --", ["en"]) == ()


def test_snippet_without_a_match_is_none() -> None:
    assert make_snippet("nothing here", "en", [("absent_en",)]) is None
    assert make_snippet(None, "en", [("absent_en",)]) is None


@given(st.text(max_size=200), st.sampled_from(["ru", "tr", "de", "zh", "ja", "ko", None]))
def test_any_text_analyzes_and_its_terms_are_index_tokens(text: str, lang: str | None) -> None:
    analyzed = analyze(text, lang)
    terms = tokens(text, lang) + tokens(text, lang, exact=True)
    assert analyzed == " ".join(t.term for t in terms)
    for term in analyzed.split():
        # the ascii tokenizer must see each term whole: no ASCII separator inside
        assert all(ch.isalnum() or ch == "_" or not ch.isascii() for ch in term)
