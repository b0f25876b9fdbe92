"""Hostile and broken input: only ParseError, bounded work, no RecursionError."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from archiver.errors import ParseError
from archiver.extract import extract
from archiver.extract.dates import parse_date, zone


@pytest.mark.parametrize("data", [b"", b"   \n", "", "\n\t "])
def test_empty_page_is_a_parse_error(data: bytes | str) -> None:
    with pytest.raises(ParseError):
        extract(data, "https://example.org/x")


def test_wrong_types_are_a_parse_error() -> None:
    with pytest.raises(ParseError):
        extract(12345, "https://example.org/x")  # type: ignore[arg-type]


def test_garbage_never_raises_anything_but_parse_error() -> None:
    pages: list[bytes | str] = [
        b"<<<>>>",
        b"<html><body><p>unclosed",
        b"<?xml version='1.0'?><rss/>",
        "<?xml version='1.0' encoding='utf-8'?><html><p>hi</p></html>",
        b"<script type='application/ld+json'>{not json</script>",
        b"\xef\xbb\xbf",
    ]
    for data in pages:
        with contextlib.suppress(ParseError):
            extract(data, "https://example.org/x")


@pytest.mark.slow
@pytest.mark.timeout(60)
def test_100000_nested_elements() -> None:
    data = "<html><body>" + "<div>" * 100_000 + "deep text" + "</div>" * 100_000 + "</body></html>"
    try:
        article = extract(data, "https://example.org/deep")
    except ParseError:
        return
    assert "deep text" in article.body or article.body == ""


@pytest.mark.slow
@pytest.mark.timeout(60)
def test_10_mb_text_node() -> None:
    big = "word " * 2_000_000
    data = f"<html><head><title>Big</title></head><body><article><p>{big}</p></article></body>"
    try:
        article = extract(data.encode(), "https://example.org/big")
    except ParseError:
        return
    assert article.title == "Big"
    assert article.body.startswith("word word")


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=3000) | st.text(max_size=3000))
def test_fuzz_only_parse_error(data: bytes | str) -> None:
    with contextlib.suppress(ParseError):
        extract(data, "https://example.org/fuzz")


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "<p>",
                "</p>",
                "<div>",
                "</div>",
                "<h1>",
                "</h1>",
                "text",
                "<script type='application/ld+json'>",
                "</script>",
                "{",
                '"@type":"NewsArticle"',
                "<time datetime='2020-01-01'>",
                "<meta property='og:title' content='x'>",
                "BAKU, January 30. /TASS/.",
            ]
        ),
        max_size=80,
    )
)
def test_fuzz_html_fragments(parts: list[str]) -> None:
    with contextlib.suppress(ParseError):
        extract("".join(parts), "https://tass.com/world/1")


NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)


def test_naive_times_take_the_site_zone() -> None:
    moscow = zone("Europe/Moscow")
    got = parse_date("2024-04-30 10:00", tz=moscow, now=NOW)
    assert got is not None and got.utcoffset() == timedelta(hours=3)
    assert parse_date("2024-04-30 10:00", now=NOW) == datetime(2024, 4, 30, 10, tzinfo=UTC)


def test_dates_are_always_aware_and_far_future_is_distrusted() -> None:
    assert parse_date("2024-05-02T11:00:00Z", now=NOW) is not None  # within a day
    assert parse_date("2024-05-03T12:00:00Z", now=NOW) is None  # two days ahead
    assert parse_date("garbage", now=NOW) is None
    assert parse_date("1970-01-01", now=NOW) is None
    for value in [
        "Tue, 30 Apr 2024 10:00:00 +0200",
        "1714471200",
        "30.04.2024 10:00",
        "2024-04-30T10:00:00.123+05:30",
        "April 30, 2024 10:00 AM EDT",
    ]:
        got = parse_date(value, now=NOW)
        assert got is not None and got.tzinfo is not None, value
        assert got.date().isoformat() == "2024-04-30", value


def test_extract_distrusts_a_future_published_date() -> None:
    page = (
        "<html><head><meta property='article:published_time' content='2031-01-01T00:00:00Z'>"
        "<title>T</title></head><body><h1>T</h1><p>"
        + "Some words here. " * 40
        + "</p></body></html>"
    )
    article = extract(page, "https://example.org/x", now=NOW)
    assert article.published is None


def test_boilerplate_lines_go_but_sentences_that_start_alike_stay() -> None:
    from archiver.extract.generic import clean

    kept = [
        "Print media sales fell again last year, the publishers' association said.",
        "Comments from the minister came after the vote.",
    ]
    dropped = [
        "Read more",
        "Share this article",
        "Read more: Another headline entirely",
        "Advertisement",
        "Читайте также: Другая новость",
    ]
    assert clean(kept + dropped + kept[:1]) == kept
