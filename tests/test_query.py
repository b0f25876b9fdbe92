"""The query language: table tests of parse_query, and hostile input against a real archive."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archiver.cli.hits import format_hits
from archiver.errors import ArchiverError, QueryError
from archiver.search import search
from archiver.search.query import MAX_TERMS, parse_query

# ---------------------------------------------------------------- the language, as a table

CASES = [
    ("baku", '"baku"'),
    ("Baku talks", '"baku" AND "talks"'),  # folded as the index is
    # a quoted phrase is matched as written: the exact section's terms ("_" + word)
    ('"monitoring center"', '"_monitoring _center"'),
    ('"monitoring center', '"_monitoring _center"'),  # unclosed quote runs to the end
    ("war -peace", '("war") NOT "peace"'),
    ('war -"peace talks" -truce', '("war") NOT ("_peace _talks" OR "truce")'),
    ("tass OR reuters", '("tass" OR "reuters")'),
    ("baku tass OR reuters", '"baku" AND ("tass" OR "reuters")'),
    ("a OR b OR c", '("a" OR "b" OR "c")'),
    ("coop*", '"coop" *'),
    ('"joint monitor"*', '"_joint _monitor" *'),
    ("title:satellite", 'title : "satellite"'),
    ("Title:sat*", 'title : "sat" *'),
    ('title:"space agency" launch', 'title : "_space _agency" AND "launch"'),
    ("launch -title:weather", '("launch") NOT title : "weather"'),
    # operators typed as words are words
    ("war AND peace", '"war" AND "and" AND "peace"'),
    ("NOT this", '"not" AND "this"'),
    ("NEAR(a b)", '"near a" AND "b"'),
    ("OR baku", '"or" AND "baku"'),
    ("baku OR", '"baku" AND "or"'),
    ("baku or tass", '"baku" AND "or" AND "tass"'),
    # syntax characters are quoted, never interpreted
    ("^baku", '"baku"'),
    ("foo:bar", '"foo bar"'),  # a word the analyzer cuts in two is a phrase
    ("a:b:c (x) {y}", '"a b c" AND "x" AND "y"'),
    ('it"s', '"it" AND "_s"'),
    ("baku ( ) * - -- ^ : 🙂", '"baku"'),  # tokens without letters or digits are dropped
    ("tab\there\nnew\x00line", '"tab" AND "here" AND "new" AND "line"'),
    ("zero\u200bwidth", '"zerowidth"'),
    ("中国空间站 对接", '"中国 国空 空间 间站" AND "对接"'),  # CJK bigrams
    ("café", '"cafe"'),
]


@pytest.mark.parametrize(("text", "match"), CASES)
def test_language(text: str, match: str) -> None:
    assert parse_query(text).match == match


def test_words_are_read_in_each_language_of_the_archive() -> None:
    query = parse_query("переговоры", languages=["ru", "en", None])
    # untagged, English, Russian (lemma and stem; the word's own stem is the same)
    assert query.match == '("переговоры" OR "переговоры_en" OR "переговор_ru")'
    assert ("переговор_ru",) in query.highlight
    query = parse_query('"joint talks" -title:weather', languages=["en"])
    assert query.match == '("_joint _talks") NOT title : ("weather" OR "weather_en")'
    prefix = parse_query("negotiations*", languages=["en"])
    assert prefix.match == '("negotiations" * OR "negoti_en")'
    assert prefix.prefixes == ("negotiations",)


def test_source_filters_leave_the_match() -> None:
    query = parse_query("source:tass-en source:wire-en -source:xinhua-zh harvest")
    assert query.match == '"harvest"'
    assert query.sources == ("tass-en", "wire-en")
    assert query.exclude_sources == ("xinhua-zh",)
    assert not query.is_empty


def test_source_only_query_is_empty_but_valid() -> None:
    query = parse_query("source:tass-en")
    assert query.is_empty and query.sources == ("tass-en",)


def test_title_terms_are_reported_and_folded() -> None:
    query = parse_query('title:baku title:"joint center" talks')
    assert query.title_terms == ("baku", "joint center")
    assert query.match == 'title : "baku" AND title : "_joint _center" AND "talks"'


@pytest.mark.parametrize(
    "text", ["", "   ", "\x00\x01", '""', "-", "()", "🙂 🙂", "* ^ : -", "\u200b"]
)
def test_empty_queries_are_one_friendly_error(text: str) -> None:
    with pytest.raises(QueryError, match="empty query") as info:
        parse_query(text)
    assert "\n" not in str(info.value)


def test_only_exclusions_ask_for_a_word() -> None:
    with pytest.raises(QueryError, match="only of exclusions"):
        parse_query("-war -peace")


def test_too_many_terms_and_too_long() -> None:
    with pytest.raises(QueryError, match="too many"):
        parse_query(" ".join(f"w{i}" for i in range(MAX_TERMS + 1)))
    with pytest.raises(QueryError, match="too long"):
        parse_query("x" * 5000)


def test_raw_passes_through() -> None:
    query = parse_query('title:baku NEAR("joint" "center", 3)', raw=True)
    assert query.raw and query.match == 'title:baku NEAR("joint" "center", 3)'
    with pytest.raises(QueryError):
        parse_query("  ", raw=True)


def test_lone_surrogates_cannot_reach_sqlite() -> None:
    # what a terminal's undecodable bytes become in sys.argv (surrogateescape)
    query = parse_query("baku\udcff")
    query.match.encode("utf-8")
    assert query.match == '"baku"'


# ---------------------------------------------------------------- against a real archive


def _run(archive: Path, text: str, *, raw: bool = False) -> str | None:
    """Search and format; returns the error line, or None when there were results/no results.

    A query parse_query accepts must run: any exception after parsing is a defect.
    """
    try:
        parse_query(text, raw=raw)
    except QueryError as exc:
        return str(exc)
    hits = search(archive, text, raw=raw)
    for fmt in ("table", "json", "csv"):
        format_hits(hits, fmt, color=True)
    return None


_FIXTURE_OK = [HealthCheck.function_scoped_fixture]

# hostile alphabet: FTS5 syntax, quotes, controls, CJK, emoji, combining marks, bidi
_HOSTILE = st.one_of(
    st.text(),
    st.text(alphabet=st.sampled_from(list("\"'*^:-+()[]{}\\/.,;!?$%&|<>=~`@#\x00\x01\x1b\n\t "))),
    st.lists(
        st.sampled_from(
            [
                "AND",
                "OR",
                "NOT",
                "NEAR",
                "NEAR(",
                "title:",
                "source:",
                "body:",
                "-",
                '"',
                "*",
                "^",
                "baku",
                "cooperation",
                "harvest",
                "中国空间站",
                "пшеницы",
                "🙂",
                "e\u0301",
                "\u202e",
                "\ufeff",
                "(",
                ")",
                ":",
                "{title}",
                "rowid",
                "rank",
                "\x00",
                "\udcff",
            ]
        ),
        max_size=12,
    ).map(" ".join),
)


@settings(max_examples=400, deadline=None, suppress_health_check=_FIXTURE_OK)
@given(text=_HOSTILE)
def test_any_string_gives_results_or_a_friendly_error(archive: Path, text: str) -> None:
    error = _run(archive, text)
    if error is not None:
        assert "\n" not in error
        assert "fts5" not in error.lower() and "sql" not in error.lower()


@settings(max_examples=200, deadline=None, suppress_health_check=_FIXTURE_OK)
@given(text=_HOSTILE)
def test_raw_mode_errors_are_query_errors(archive: Path, text: str) -> None:
    try:
        search(archive, text, raw=True)
    except QueryError as exc:
        assert "\n" not in str(exc)
    except sqlite3.Error as exc:  # pragma: no cover - the defect this test looks for
        pytest.fail(f"sqlite3 error escaped: {exc!r}")


def _hostile_strings(n: int, seed: int = 6) -> list[str]:
    rng = random.Random(seed)
    pieces = [
        '"',
        "'",
        "*",
        "^",
        ":",
        "-",
        "(",
        ")",
        "AND",
        "OR",
        "NOT",
        "NEAR",
        "NEAR/2",
        "title:",
        "source:",
        "\x00",
        "\n",
        "\r",
        "\t",
        "\x1b[31m",
        "中国",
        "пшеницы",
        "🙂",
        "\u202e",
        "baku",
        "harvest",
        "satellite",
        "{",
        "}",
        "[",
        "]",
        "\\",
        "%",
        "_",
        ";",
        "--",
        "/*",
        "*/",
        "'; DROP TABLE articles; --",
        "\udcff",
        "\ufffd",
        " ",
    ]
    out = []
    for _ in range(n):
        k = rng.randint(0, 10)
        out.append("".join(rng.choice(pieces) + rng.choice(["", " "]) for _ in range(k)))
    return out


def test_300_hostile_strings_through_the_search_path(archive: Path) -> None:
    errors = 0
    for text in _hostile_strings(300):
        try:
            hits = search(archive, text)
            format_hits(hits, "table", color=False)
        except QueryError as exc:
            errors += 1
            assert "\n" not in str(exc) and "fts5" not in str(exc).lower()
        except ArchiverError as exc:  # pragma: no cover
            pytest.fail(f"{text!r}: unexpected {exc!r}")
    # most strings carry a word and run; the rest are one-line messages
    assert errors < 150
    rows = sqlite3.connect(archive).execute("SELECT count(*) FROM articles").fetchone()
    assert rows[0] == 8  # and nothing was written


def test_words_phrases_and_exclusions_find_the_right_stories(archive: Path) -> None:
    def urls(text: str, **kw: Any) -> set[str]:
        return {h.url.rsplit("/", 1)[-1] for h in search(archive, text, all_versions=True, **kw)}

    assert urls("satellite weather") == {"satellite-launch", "1400002"}
    assert urls("title:satellite") == {"satellite-launch"}
    assert urls('"monitoring center"') == {"1251234", "azerbaijan-turkey-cooperation"}
    assert urls("harvest -wheat") == {"escape"}
    # "launch" finds "launching" (the seed's story, both copies) by its stem
    assert urls("launch OR festival") == {
        "satellite-launch",
        "escape",
        "1251234",
        "azerbaijan-turkey-cooperation",
    }
    assert urls("monitor*") == {"1251234", "azerbaijan-turkey-cooperation"}
    assert urls("baku source:wire-en") == {"azerbaijan-turkey-cooperation"}
    assert urls("cooperation -source:wire-en") == {"1251234", "1300001"}
    assert urls("пшеницы") == {"2000001"}
    assert urls("пшеница") == {"2000001"}  # the dictionary form finds the inflected text
    assert urls("空间") == {"kongjianzhan"}  # a word inside Chinese running text
    assert urls("Пшеницы") == {"2000001"}  # case folded
    assert urls("中国空间站") == {"kongjianzhan"}
    assert urls("satellite AND launch") == set()  # AND is a word here, absent from the text
    assert urls("title:satellite winds") == {"satellite-launch"}  # "winds" is in the body


def test_raw_fts5_syntax_works_and_its_errors_are_friendly(archive: Path) -> None:
    # raw FTS5 runs on the analyzed index as it is: its terms are the analyzer's
    text = 'title:satellit_en OR "monitor_en center_en"'
    hits = search(archive, text, raw=True, all_versions=True)
    assert len(hits) == 3
    with pytest.raises(QueryError, match="invalid FTS5 query") as info:
        search(archive, 'NEAR("a" b', raw=True)
    assert "\n" not in str(info.value)
    with pytest.raises(QueryError, match="invalid FTS5 query"):
        search(archive, "source:tass-en", raw=True)  # no such column
