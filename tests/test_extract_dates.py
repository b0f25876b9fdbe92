"""Publication dates: htmldate when the structured metadata is silent, meta value=, and
web-archive copies dated from their original, never from the capture."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from archiver.extract import extract
from archiver.extract.pagedate import original_url

NOW = datetime(2026, 6, 1, tzinfo=UTC)
TEXT = "".join(
    f"<p>Paragraph {i}: the harbour board met again and talked about the new "
    "ferry timetable for the summer season.</p>"
    for i in range(6)
)


def page(head: str = "", top: str = "") -> str:
    return (
        f"<html><head><title>Ferry timetable changes</title>{head}</head><body>"
        f"<h1>Ferry timetable changes</h1>{top}<article>{TEXT}</article></body></html>"
    )


def test_a_date_only_written_on_the_page_comes_from_htmldate() -> None:
    html = page(top='<div class="meta"><span class="date">Published 21 March 2024</span></div>')
    article = extract(html, "https://news.example.org/ferry-timetable", now=NOW)
    assert article.published is not None and article.published.tzinfo is not None
    assert article.published.date() == date(2024, 3, 21)
    assert article.published_from == "htmldate"


def test_htmldate_dates_are_read_in_the_site_zone() -> None:
    html = page(top='<p class="date">Published 21 March 2024</p>')
    article = extract(html, "https://www.ansa.it/sito/notizie/ferry.html", now=NOW)
    assert article.published is not None
    assert article.published.date() == date(2024, 3, 21)
    assert article.published.utcoffset() == timedelta(hours=1)  # Europe/Rome in March


def test_structured_metadata_is_trusted_before_htmldate() -> None:
    html = page(
        '<meta property="article:published_time" content="2024-03-20T09:30:00+02:00">',
        top='<p class="date">Published 1 January 2020</p>',
    )
    article = extract(html, "https://news.example.org/ferry-timetable", now=NOW)
    assert article.published == datetime.fromisoformat("2024-03-20T09:30:00+02:00")
    assert article.published_from == "meta"


def test_a_time_element_keeps_its_time_when_htmldate_agrees_on_the_day() -> None:
    html = page(top='<time datetime="2024-03-20T09:30:00+02:00">20 March 2024</time>')
    article = extract(html, "https://news.example.org/ferry-timetable", now=NOW)
    assert article.published == datetime.fromisoformat("2024-03-20T09:30:00+02:00")
    assert article.published_from == "time"


def test_published_time_written_with_value() -> None:
    html = page('<meta property="og:article:published_time" value="2024-03-20T09:30:00Z">')
    article = extract(html, "https://news.example.org/ferry-timetable", now=NOW)
    assert article.published == datetime(2024, 3, 20, 9, 30, tzinfo=UTC)
    assert article.published_from == "meta"
    html = page('<meta property="article:published_time" value="2024-03-21T10:00:00Z">')
    assert extract(html, "https://news.example.org/x", now=NOW).published == datetime(
        2024, 3, 21, 10, tzinfo=UTC
    )


def test_a_wayback_copy_is_not_dated_by_its_capture() -> None:
    url = (
        "https://web.archive.org/web/20250101120000/"
        "https://news.example.org/2024/03/20/ferry-timetable"
    )
    article = extract(page(), url, now=NOW)
    assert article.published is not None
    assert article.published.date() == date(2024, 3, 20)


def test_a_wayback_copy_of_an_undated_url_has_no_capture_date() -> None:
    url = "https://web.archive.org/web/20250101120000/https://news.example.org/ferry-timetable"
    article = extract(page(), url, now=NOW)
    assert article.published is None or article.published.date() != date(2025, 1, 1)


def test_original_url() -> None:
    assert original_url("https://web.archive.org/web/20250101120000id_/https://a.org/x") == (
        "https://a.org/x"
    )
    assert original_url("http://web.archive.org/web/2025/a.org/x") == "http://a.org/x"
    assert original_url("https://a.org/web/2025/x") == "https://a.org/web/2025/x"


def test_a_date_htmldate_finds_on_a_section_page_does_not_make_it_an_article() -> None:
    hub = Path(__file__).parent / "fixtures" / "site" / "hub" / "world-news.html"
    page = extract(hub.read_bytes(), "https://apnews.com/hub/world-news")
    assert page.published_from == "htmldate"  # the hub shows dated teasers
    assert page.page_kind == "section"


def _utc_story(stamp: str, url: str) -> datetime | None:
    body = "<p>" + "The harbour board met on Monday to approve the new ferry timetable. " * 12
    html = (
        "<html><head><title>Ferry timetable approved</title>"
        '<script type="application/ld+json">{"@type": "NewsArticle", "headline": '
        f'"Ferry timetable approved", "datePublished": "{stamp}"}}</script></head><body>'
        f"<article><h1>Ferry timetable approved</h1>{body}</p></article></body></html>"
    ).encode()
    return extract(html, url, now=NOW).published


def test_a_utc_time_is_shown_on_the_day_the_url_files_it_under() -> None:
    late = _utc_story("2020-02-25T02:25:54Z", "https://news.example.org/2020/02/24/ferry/")
    assert late is not None and late.date() == date(2020, 2, 24)
    assert late == datetime(2020, 2, 25, 2, 25, 54, tzinfo=UTC)  # the same instant
    early = _utc_story("2018-12-31T23:11:59Z", "https://news.example.org/2019/01/01/ferry/")
    assert early is not None and early.date() == date(2019, 1, 1)
    assert early == datetime(2018, 12, 31, 23, 11, 59, tzinfo=UTC)


def test_a_local_offset_or_a_url_days_away_leaves_the_date_as_given() -> None:
    own = _utc_story("2020-02-19T18:37:32+01:00", "https://news.example.org/2020/02/18/ferry/")
    assert own is not None and own.isoformat() == "2020-02-19T18:37:32+01:00"
    far = _utc_story("2020-02-27T12:00:00Z", "https://news.example.org/2020/02/18/ferry/")
    assert far is not None and far.isoformat() == "2020-02-27T12:00:00+00:00"
    plain = _utc_story("2020-02-25T02:25:54Z", "https://news.example.org/ferry/")
    assert plain is not None and plain.isoformat() == "2020-02-25T02:25:54+00:00"
