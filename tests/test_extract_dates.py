"""Publication dates: htmldate when the structured metadata is silent, meta value=, and
web-archive copies dated from their original, never from the capture."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from archiver.extract import extract
from archiver.extract.dates import parse_date
from archiver.extract.localtime import site_clock
from archiver.extract.metadata import url_date
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


def test_a_value_without_a_day_is_no_date() -> None:
    assert parse_date("2006") is None  # a citation's year, not 2006 with today's day
    assert parse_date("May 2019") is None
    assert parse_date("21 March 2024") == datetime(2024, 3, 21, tzinfo=UTC)
    html = page('<meta itemprop="datePublished" content="2006">')
    html = html.replace("<article>", '<article><time datetime="2017-01-30">30 January 2017</time>')
    article = extract(html, "https://journal.example.org/article/10.1007/x", now=NOW)
    assert article.published == datetime(2017, 1, 30, tzinfo=UTC)


def test_a_number_that_starts_a_slug_word_is_no_day() -> None:
    assert url_date("https://blog.example.de/2023/10/3-fragen-an-tina/", tz=None, now=NOW) is None
    assert url_date("https://x.example.org/2017/7/12/unter-uns", tz=None, now=NOW) == datetime(
        2017, 7, 12, tzinfo=UTC
    )
    assert url_date("https://x.example.org/news/2023-10-03-title", tz=None, now=NOW) == (
        datetime(2023, 10, 3, tzinfo=UTC)
    )


def _dated(head: str) -> tuple[datetime | None, str | None]:
    article = extract(page(head), "https://news.example.org/ferry-timetable", now=NOW)
    return article.published, article.published_from


def _ld(published: str, modified: str = "") -> str:
    extra = f', "dateModified": "{modified}"' if modified else ""
    return (
        '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Ferry", '
        f'"datePublished": "{published}"{extra}}}</script>'
    )


def test_json_ld_and_meta_on_different_days() -> None:
    # a republished story: the header's date wins over the JSON-LD's first draft
    tag = '<meta property="article:published_time" content="2023-11-06T14:25:00+00:00">'
    assert _dated(tag + _ld("2023-11-03T10:25:56+00:00")) == (
        datetime(2023, 11, 6, 14, 25, tzinfo=UTC),
        "meta",
    )
    # the tag is the JSON-LD's dateModified: the JSON-LD's datePublished stays
    tag = '<meta property="article:published_time" content="2019-12-12T21:17:43Z">'
    got, source = _dated(tag + _ld("2019-12-09T22:25:10Z", "2019-12-12T21:17:43Z"))
    assert got is not None and got.date() == date(2019, 12, 9) and source == "jsonld"
    # a tag without a time against a JSON-LD time: the JSON-LD
    tag = '<meta property="article:published_time" content="2024-04-26">'
    got, source = _dated(tag + _ld("2024-04-25T19:30:04+02:00"))
    assert got == datetime.fromisoformat("2024-04-25T19:30:04+02:00") and source == "jsonld"
    # the same instant in UTC and in the site's zone: the site's zone
    tag = '<meta property="article:published_time" content="2019-10-19T00:04:00+02:00">'
    got, source = _dated(tag + _ld("2019-10-18T22:04:00Z"))
    assert got is not None and got.isoformat() == "2019-10-19T00:04:00+02:00"


def test_a_utc_time_is_shown_on_the_clock_the_page_writes_it_in() -> None:
    stamp = datetime(2022, 5, 4, 2, 41, tzinfo=UTC)
    shown = site_clock(stamp, "<h6><span>3/5/2022 22:41</span></h6>")
    assert shown == stamp and shown.isoformat() == "2022-05-03T22:41:00-04:00"
    ampm = site_clock(datetime(2022, 5, 4, 3, 37, 37, tzinfo=UTC), "3 May, 2022, 11:37 pm")
    assert ampm.utcoffset() == timedelta(hours=-4)
    german = site_clock(datetime(2019, 10, 18, 22, 4, tzinfo=UTC), "19. Oktober 2019 00:04 Uhr")
    assert german.isoformat() == "2019-10-19T00:04:00+02:00"


def test_a_clock_time_that_is_another_instant_is_no_evidence() -> None:
    stamp = datetime(2023, 11, 9, 6, 35, 29, tzinfo=UTC)
    for text in (
        '"datePublished":"2023-11-09T06:35:29Z"',  # itself
        '"uploadDate":"2023-11-08T22:35:29+01:00"',  # labelled with another zone
        '"published":"2023-11-08T22:35:59"',  # another second
        "22:35 +00:00 on 8 November 2023",  # written as UTC: another instant
        "Kickoff 22:35, tickets from 12 euros",  # no date beside it
    ):
        assert site_clock(stamp, text).utcoffset() == timedelta(0), text
    late = site_clock(datetime(2023, 11, 2, 13, 43, 27, tzinfo=UTC), "Nov 02, 2023 01:43:27 PM")
    assert late.utcoffset() == timedelta(0)  # 1:43 PM is 13:43: the same clock


def test_a_utc_midnight_of_central_europe_is_that_midnight() -> None:
    assert site_clock(datetime(2021, 11, 4, 23, 0, tzinfo=UTC), "").isoformat() == (
        "2021-11-05T00:00:00+01:00"
    )
    assert site_clock(datetime(2021, 11, 4, 22, 0, tzinfo=UTC), "").isoformat() == (
        "2021-11-05T00:00:00+02:00"
    )
    kept = site_clock(datetime(2021, 11, 4, 23, 0, 5, tzinfo=UTC), "")
    assert kept.utcoffset() == timedelta(0)  # a real time, not a midnight


def test_a_structured_date_long_after_the_urls_day_is_a_republication() -> None:
    url = "https://blog.example.de/home/2017/7/12/unter-uns"
    got = _utc_story("2019-06-17T18:28:00+02:00", url)
    assert got == datetime(2017, 7, 12, tzinfo=UTC)
    near = _utc_story("2022-05-08T06:00:00-05:00", "https://x.example.pe/2022/05/02/cronograma/")
    assert near == datetime.fromisoformat("2022-05-08T06:00:00-05:00")  # days: an update
