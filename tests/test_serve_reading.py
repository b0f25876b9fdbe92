"""The reading room's pages as HTML: the landing view, an article, the ranked search, sources,
error pages; Datasette in this process (``datasette.app.Datasette``) set up as ``archiver serve``
sets it up, its pages read with lxml."""

from __future__ import annotations

import asyncio
import gzip
import io
import json
import logging
import re
import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import lxml.html
import pytest

from archiver.logs import JsonFormatter, get_logger
from archiver.models import Article
from archiver.search import search
from archiver.serve import plugin
from archiver.store import Store

from search_helpers import Story, build_archive, when
from serve_helpers import build_reading_room, captures_of, in_process


class Client:
    """GET pages from an in-process Datasette."""

    def __init__(self, db: Path, captures: Path | None = None) -> None:
        self.ds = in_process(db, captures)

    def get(self, path: str, **params: str) -> Any:
        return asyncio.run(self.ds.client.get(path, params=params or None))

    def html(self, path: str, status: int = 200, **params: str) -> Any:
        response = self.get(path, **params)
        assert response.status_code == status, (path, response.status_code, response.text[:500])
        return lxml.html.fromstring(response.text)

    def follow(self, path: str, **params: str) -> tuple[str, Any]:
        """Follow one redirect (the table search -> the search page)."""
        response = self.get(path, **params)
        assert response.status_code == 302, response.status_code
        location = response.headers["location"]
        return location, self.html(location)


@pytest.fixture(scope="module")
def room(tmp_path_factory: pytest.TempPathFactory) -> Client:
    db = build_reading_room(tmp_path_factory.mktemp("room") / "archive.db")
    return Client(db, captures_of(db))


def _text(node: Any) -> str:
    return " ".join(" ".join(node.itertext()).split())


# ---------------------------------------------------------------- the landing view


def test_articles_page_search_box_first_and_at_most_ten_columns(room: Client) -> None:
    page = room.html("/archive/articles")
    html = lxml.html.tostring(page, encoding="unicode")
    box = html.index('name="_search"')
    notes = html.find('class="column-descriptions"')
    assert notes == -1 or box < notes  # the search box above any column notes
    headers = page.xpath("//table[contains(@class, 'ar-stories')]/thead/tr/th")
    assert 1 <= len(headers) <= 10
    assert [_text(h) for h in headers] == [
        "Headline",
        "Source",
        "Dateline",
        "Published",
        "Lead",
        "Original",
    ]
    rows = page.xpath("//table[contains(@class, 'ar-stories')]/tbody/tr")
    assert len(rows) == 8
    for internal in ("simhash", "content_hash", "sh0", "fetched_url", "extractor"):
        assert internal not in [_text(h) for h in headers]
    # newest first, linked to the story page, readable time, the original linked
    first = rows[0]
    assert first.xpath(".//td[contains(@class,'ar-headline')]/a/@href") == ["/archive/articles/7"]
    assert _text(first.xpath(".//td[contains(@class,'ar-when')]")[0]) == "5 May 2022 05:05 UTC"
    assert first.xpath(".//time/@datetime") == ["2022-05-05T05:05:00+00:00"]
    seed = next(r for r in rows if "/archive/articles/1" in r.xpath(".//a/@href"))
    assert _text(seed.xpath(".//td[contains(@class,'ar-place')]")[0]) == "BAKU"
    assert "TASS" in _text(seed.xpath(".//td[contains(@class,'ar-source')]")[0])
    assert seed.xpath(".//td[contains(@class,'ar-original')]/a/@href") == [
        "https://tass.com/defense/1251234"
    ]
    # the lead, or the start of the body when there is none
    assert _text(seed.xpath(".//td[contains(@class,'ar-lead')]")[0]).startswith("Azerbaijani")
    undated = next(r for r in rows if "/archive/articles/8" in r.xpath(".//a/@href"))
    assert "新华社" in _text(undated.xpath(".//td[contains(@class,'ar-lead')]")[0])


def test_facets_source_language_agency_day_tags_newest_day_first(room: Client) -> None:
    page = room.html("/archive/articles")
    facets = page.xpath("//aside[contains(@class,'ar-facets')]/details/@data-column")
    assert facets == ["source", "language", "agency", "published", "tags"]
    days = page.xpath("//details[@data-column='published']//li/a/text()")
    assert days == sorted(days, reverse=True) and days[0] == "2022-05-05"
    # a facet value narrows the list and stays shown as chosen
    page = room.html("/archive/articles", source="tass-ru")
    assert len(page.xpath("//table[contains(@class,'ar-stories')]/tbody/tr")) == 1
    assert page.xpath("//li[contains(@class,'ar-selected')]/strong/text()") == ["tass-ru"]


def test_every_column_still_in_json_csv_and_with_col(room: Client) -> None:
    data = room.get("/archive/articles.json", _shape="objects").json()
    assert {"simhash", "content_hash", "sh0", "fetched_url"} <= set(data["rows"][0])
    csv_head = room.get("/archive/articles.csv").text.splitlines()[0]
    assert "simhash" in csv_head and "content_hash" in csv_head
    page = room.html("/archive/articles", _col="simhash")
    assert page.xpath("//table[contains(@class,'rows-and-columns')]")  # Datasette's own table
    assert "simhash" in _text(page.xpath("//table[contains(@class,'rows-and-columns')]")[0])
    page = room.html("/archive/articles", _view="table")
    assert "content_hash" in _text(page.xpath("//table[contains(@class,'rows-and-columns')]")[0])


# ---------------------------------------------------------------- the article page


def test_article_page_reads_like_the_article(room: Client, tmp_path: Path) -> None:
    page = room.html("/archive/articles/1")
    assert [_text(h) for h in page.xpath("//h1")] == [
        "Azerbaijan, Turkey discuss military-technical cooperation in Baku"
    ]
    paragraphs = [_text(p) for p in page.xpath("//div[contains(@class,'ar-body')]/p")]
    assert len(paragraphs) == 6
    assert paragraphs[0].startswith("BAKU, January 30. /TASS/. Azerbaijani Defense Minister")
    assert paragraphs[-1].endswith("the bodies of those killed.")
    assert "https://tass.com/defense/1251234" in page.xpath(
        "//dd[contains(@class,'ar-url')]/a/@href"
    )
    assert "https://tass.com/world/1251234" in page.xpath("//ul[@class='ar-aliases']//a/@href")
    facts = _text(page.xpath("//dl[contains(@class,'ar-facts')]")[0])
    for fact in (
        "By Anna Petrova",
        "Published 30 Jan 2021 09:12 UTC from jsonld",
        "Updated 31 Jan 2021 08:05 UTC from meta",
        "Dateline BAKU, January 30. /TASS/.",
        "tass-en · agency TASS",
    ):
        assert fact in facts
    assert page.xpath("//a[contains(@class,'ar-tag')]/text()") == ["Azerbaijan", "Turkey"]
    # no internal hashes anywhere on the page
    with sqlite3.connect(room.ds.get_database("archive").path) as conn:
        content_hash, simhash, sh0 = conn.execute(
            "SELECT content_hash, simhash, sh0 FROM articles WHERE id = 1"
        ).fetchone()
    html = room.get("/archive/articles/1").text
    for value in (content_hash, str(simhash), str(sh0)):
        assert value not in html
    assert "simhash" not in html and "content_hash" not in html


def test_article_page_revisions_diff_cluster_and_record(room: Client) -> None:
    page = room.html("/archive/articles/1")
    versions = page.xpath("//ol[@class='ar-versions']/li")
    assert len(versions) == 3
    assert "first version" in _text(versions[0])
    assert "changed: title, body" in _text(versions[1])
    second = versions[1]
    assert second.xpath(".//del/text()") == ["have "]
    assert [t.strip() for t in second.xpath(".//ins/text()")] == ["in Baku", "on Saturday"]
    assert [t.strip() for t in versions[2].xpath(".//ins/text()")] == ["more"]
    record = versions[0].xpath(".//a/@href")
    assert record == ["/archive/revisions/1"]  # the first version came without a capture
    assert room.get(record[0]).status_code == 200
    assert second.xpath(".//a/@href")[:2] == ["/-/capture/9", "/-/capture/9.warc.gz"]
    cluster = page.xpath("//section[contains(@class,'ar-cluster')]//a")
    assert [a.get("href") for a in cluster] == ["/archive/articles/2"]
    assert _text(cluster[0]).startswith("Azerbaijan and Turkey discuss")
    # a story alone in its cluster says so
    alone = room.html("/archive/articles/5")
    assert "No other source" in _text(alone.xpath("//section[contains(@class,'ar-cluster')]")[0])


def test_article_page_escapes_what_came_from_the_web(tmp_path: Path) -> None:
    hostile = Story(
        url="https://www.example-wire.com/odd/markup",
        title='<script>alert("title")</script> Markup in a headline',
        body="<b>bold?</b> a body with <img src=x onerror=alert(1)> markup\n\nsecond <p> para",
        source="wire-en",
        published=when("2022-01-01T00:00:00"),
    )
    client = Client(build_archive(tmp_path / "hostile.db", [hostile]))
    response = client.get("/hostile/articles/1")
    assert response.status_code == 200
    assert "<script>alert" not in response.text and "<img src=x" not in response.text
    page = lxml.html.fromstring(response.text)
    assert _text(page.xpath("//h1")[0]).startswith('<script>alert("title")</script>')
    assert len(page.xpath("//div[contains(@class,'ar-body')]/p")) == 2


def test_only_http_urls_become_links() -> None:
    assert plugin.safe_url("https://tass.com/x") and plugin.safe_url("HTTP://a.example/")
    for url in ("javascript:alert(1)", "data:text/html,x", "//evil.example/", "", None, 7):
        assert not plugin.safe_url(url)


def test_an_article_that_is_not_there_is_a_readable_404(room: Client) -> None:
    page = room.html("/archive/articles/999", status=404)
    assert _text(page.xpath("//h1")[0]) == "Not found"


# ---------------------------------------------------------------- search


def test_table_search_goes_to_the_ranked_page_with_marks(room: Client) -> None:
    location, page = room.follow("/archive/articles", _search="satellite")
    assert urlsplit(location).path == "/-/search"
    assert parse_qs(urlsplit(location).query) == {"q": ["satellite"]}
    titles = [_text(h) for h in page.xpath("//li[@class='ar-hit']/h2")]
    # ranked: the headline match first, though the other story is newer
    assert titles == ["Satellite launch postponed over weather", "Space agency plans new missions"]
    links = page.xpath("//li[@class='ar-hit']/h2/a/@href")
    assert links == ["/archive/articles/5", "/archive/articles/6"]
    marks = [m.text.lower() for m in page.xpath("//li[@class='ar-hit']//mark")]
    assert marks and set(marks) == {"satellite"}
    assert "2 matching articles" in _text(page.xpath("//p[@class='ar-count']")[0])


def test_search_keeps_facet_filters_and_offers_newest_first(room: Client) -> None:
    location, page = room.follow("/archive/articles", _search="satellite", source="tass-en")
    assert parse_qs(urlsplit(location).query) == {"q": ["satellite"], "source": ["tass-en"]}
    assert [_text(h) for h in page.xpath("//li[@class='ar-hit']/h2")] == [
        "Space agency plans new missions"
    ]
    page = room.html("/-/search", q="satellite", sort="newest")
    assert [_text(h) for h in page.xpath("//li[@class='ar-hit']/h2")] == [
        "Space agency plans new missions",
        "Satellite launch postponed over weather",
    ]
    # any other table filter stays on Datasette's table
    response = room.get("/archive/articles", _search="satellite", tags__arraycontains="space")
    assert response.status_code == 200


def test_search_page_is_archiver_search(room: Client) -> None:
    """The same hits, in the same order, as ``archiver.search.search`` (whatever the analyzer
    does to a query, the reading room does too)."""
    db = Path(room.ds.get_database("archive").path)
    for query in (
        "harvest",
        "harvests",
        "cooperation -grain",
        "title:satellite",
        "wheat OR урожай",
    ):
        expected = [h.id for h in search(db, query, limit=20)]
        data = room.get("/-/search.json", q=query).json()
        assert [h["id"] for h in data["hits"]] == expected, query


def test_an_inflected_form_finds_the_story(room: Client) -> None:
    page = room.html("/-/search", q="harvests")
    titles = [_text(h) for h in page.xpath("//li[@class='ar-hit']/h2")]
    assert "Grain harvest in the Volga region beats forecasts" in titles
    assert page.xpath("//li[@class='ar-hit']//mark")


def test_search_pages_and_json(tmp_path: Path) -> None:
    stories = [
        Story(
            url=f"https://tass.com/economy/{n}",
            title=f"Wheat report {n}",
            body="wheat " + " ".join(f"w{n}x{i}" for i in range(30)),
            published=when(f"2022-01-{n % 28 + 1:02d}T10:00:00"),
        )
        for n in range(1, 46)
    ]
    client = Client(build_archive(tmp_path / "many.db", stories))
    seen: list[int] = []
    for number in (1, 2, 3):
        data = client.get("/-/search.json", q="wheat", page=str(number)).json()
        seen += [h["id"] for h in data["hits"]]
        assert data["total"] == 45 and data["more"] == (number < 3)
    assert sorted(seen) == list(range(1, 46))  # every story once across the pages
    page = client.html("/-/search", q="wheat", page="2")
    nav = page.xpath("//p[@class='ar-pages']/a/@href")
    assert any("page=3" in href for href in nav) and any("page=1" in href for href in nav)


@pytest.mark.parametrize("typed", ['"', "NEAR(", "AND", "-", "(((", "title:", "🙂", "\x00x", ""])
def test_search_page_never_errors(room: Client, typed: str) -> None:
    response = room.get("/-/search", q=typed)
    assert response.status_code in (200, 400)
    assert "Traceback" not in response.text
    if response.status_code == 400:  # nothing to search for: one friendly line
        page = lxml.html.fromstring(response.text)
        assert "type some words" in _text(page.xpath("//p[@class='ar-error']")[0])


def test_a_bad_date_is_one_friendly_line(room: Client) -> None:
    page = room.html("/-/search", status=400, q="satellite", since="soon")
    assert "not a date: 'soon'" in _text(page.xpath("//p[@class='ar-error']")[0])
    data = room.get("/-/search.json", q="satellite", since="soon")
    assert data.status_code == 400 and data.json()["ok"] is False


# ---------------------------------------------------------------- sources, canned queries


def test_sources_page_like_archiver_sources(room: Client) -> None:
    page = room.html("/-/sources")
    rows = page.xpath("//table[@class='ar-health']/tbody/tr")
    cells = {r.xpath("./td[1]/a/text()")[0]: [_text(td) for td in r.xpath("./td")] for r in rows}
    assert set(cells) == {"tass-en", "tass-ru", "wire-en", "xinhua-zh"}
    assert cells["tass-en"][1] == "ok" and cells["tass-en"][2] == "1 Jun 2022 11:57 UTC"
    assert cells["tass-ru"][1] == "never polled" and cells["tass-ru"][3] == "never"
    wire = cells["wire-en"]
    assert wire[1] in ("failing", "backing off")
    assert wire[2] == "30 May 2022 12:00 UTC"  # the last request that worked
    assert wire[5] == "3" and wire[7].startswith("timeout: no answer")
    assert cells["xinhua-zh"][1] == "blocked by robots"
    records = room.get("/-/sources.json").json()
    assert {r["name"]: r["status"] for r in records}["xinhua-zh"] == "blocked by robots"


def test_canned_queries_hide_their_sql_and_link_the_story(room: Client) -> None:
    response = room.get("/archive/search_with_snippets", q="satellite")
    assert response.status_code == 200
    assert "select a.id" not in response.text and "<textarea" not in response.text
    page = lxml.html.fromstring(response.text)
    assert _text(page.xpath("//title")[0]) == "Search with snippets"
    assert "/archive/articles/5" in page.xpath("//td//a/@href")


# ---------------------------------------------------------------- errors and the analyzer


@pytest.fixture
def log_lines() -> Any:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = get_logger()
    logger.addHandler(handler)
    old_level = logger.level
    logger.setLevel(logging.INFO)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)


@pytest.mark.parametrize(
    ("path", "params", "words"),
    [
        ("/archive/articles", {"_sort": "nope"}, "Cannot sort table by nope"),
        ("/archive/articles", {"_size": "many"}, "_size"),
        ("/archive/articles", {"_sort_desc": "nope"}, "Cannot sort table by nope"),
        ("/archive/nosuchtable", {}, "not found"),
    ],
)
def test_a_bad_request_is_a_readable_page_and_one_log_line(
    room: Client,
    log_lines: Any,
    capsys: pytest.CaptureFixture[str],
    path: str,
    params: dict[str, str],
    words: str,
) -> None:
    response = room.get(path, **params)
    assert 400 <= response.status_code < 500
    page = lxml.html.fromstring(response.text)
    assert words.lower() in _text(page.xpath("//p[@class='ar-error']")[0]).lower()
    assert page.xpath("//h1")
    lines = log_lines()
    assert len(lines) == 1 and lines[0]["status"] == response.status_code
    assert lines[0]["path"] == path
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    assert room.get(path + ".json", **params).json()["ok"] is False


def test_prepare_connection_gives_datasette_the_analyzed_search(tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    with Store(db) as store:
        store.migrate()
        store.save_article(
            Article(
                url="https://tass.ru/x/1",
                title="Переговоры в Женеве",
                body="На переговорах в Женеве стороны договорились о новом раунде.",
                language="ru",
            ),
            source="tass-ru",
        )
    conn = sqlite3.connect(db)
    plugin.prepare_connection(conn)
    found = conn.execute(
        "SELECT rowid FROM articles_search WHERE articles_search MATCH escape_fts(?)",
        ("переговоры",),
    ).fetchall()
    assert found == [(1,)]  # the dictionary form finds the inflected text
    assert conn.execute("SELECT escape_fts('\"')").fetchone()[0] == '""'  # never an error
    conn.close()


def test_readable_parts() -> None:
    from archiver.search import HL_END, HL_START
    from archiver.serve import reading

    assert reading.readable_time("2021-01-30T09:12:00+00:00") == "30 Jan 2021 09:12 UTC"
    assert reading.readable_time("2021-01-30T09:12:07+03:00") == "30 Jan 2021 06:12:07 UTC"
    assert reading.readable_time("not a time") == "not a time"
    marked = reading.highlighted(f"a <b> {HL_START}word{HL_END} & {HL_START}more")
    assert str(marked) == "a &lt;b&gt; <mark>word</mark> &amp; <mark>more</mark>"
    assert reading.paragraphs("one\n\n two  words \n\n\n three") == ["one", "two words", "three"]
    assert reading.json_list('["a", null, "b"]') == ["a", "b"] and reading.json_list(None) == []
    parts = reading.word_diff("the cat sat", "the dog sat")
    assert [(p.op, p.text.strip()) for p in parts] == [
        ("same", "the"),
        ("del", "cat"),
        ("ins", "dog"),
        ("same", "sat"),
    ]
    diff = str(reading.diff_html("a " * 40 + "x " + "b " * 40, "a " * 40 + "y " + "b " * 40))
    assert "<del>x </del><ins>y </ins>" in diff and diff.count("a") < 20 and "…" in diff
    assert re.fullmatch(r"[^<>]*", reading.lead_or_start(None, "w " * 100)[:-1])


def test_search_redirect_only_for_a_plain_table_search() -> None:
    go = plugin.search_redirect
    assert go("/archive/articles", "_search=ceasefire", "archive") == "/-/search?q=ceasefire"
    assert go(
        "/archive/articles", "_search=x&language=ru&published__date=2021-01-30", "archive"
    ) == ("/-/search?q=x&lang=ru&since=2021-01-30&until=2021-01-30")
    assert go("/archive/articles", "", "archive") is None
    assert go("/archive/articles", "_search=+", "archive") is None
    assert go("/archive/articles.json", "_search=x", "archive") is None
    assert go("/archive/articles", "_search=x&tags__arraycontains=space", "archive") is None
    assert go("/archive/sources", "_search=x", "archive") is None
    assert go("/base/archive/articles", "_search=x", "archive", "/base/") == "/base/-/search?q=x"


def test_headlines_cannot_hide_or_reorder_their_words(room: Client) -> None:
    """Story 7's title carries ANSI escapes, a newline and a right-to-left override."""
    for path in ("/archive/articles", "/archive/articles/7", "/-/search?q=festival"):
        response = room.get(path)
        assert "\u202e" not in response.text and "\x1b" not in response.text, path
        assert "news\\nsecond line \\u202egnirts" in response.text, path
    page = room.html("/archive/articles/7")
    assert _text(page.xpath("//h1")[0]).startswith("Breaking\\x1b[31m red")


def test_a_version_links_its_raw_capture_record(room: Client) -> None:
    response = room.get("/-/capture/9")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["content-security-policy"] == "sandbox"
    text = response.text
    assert text.startswith("WARC record <urn:uuid:")
    assert "URL https://tass.com/world/1251234" in text and "by source tass-en" in text
    assert "HTTP 200" in text and "Content-Type: text/html; charset=windows-1251" in text
    assert "discussed on Saturday" in text  # the body, decoded from windows-1251
    raw = room.get("/-/capture/9.warc.gz")
    assert raw.status_code == 200 and "attachment" in raw.headers["content-disposition"]
    member = gzip.decompress(raw.content)
    assert member.startswith(b"WARC/1.") and b"WARC-Type: response" in member
    assert text.split()[2].encode() in member  # the record id


def test_a_capture_that_is_not_there_is_a_readable_404(room: Client, tmp_path: Path) -> None:
    page = room.html("/-/capture/1", status=404)  # a version without a capture
    assert "has no capture record" in _text(page.xpath("//p[@class='ar-error']")[0])
    room.html("/-/capture/424242", status=404)
    elsewhere = Client(Path(room.ds.get_database("archive").path), captures=tmp_path)
    page = elsewhere.html("/-/capture/9", status=404)  # the WARC file is not where it was
    assert "cannot be read" in _text(page.xpath("//p[@class='ar-error']")[0])
    unset = Client(Path(room.ds.get_database("archive").path))
    assert "not told where the captures are" in unset.get("/-/capture/9").text
    assert "/-/capture/" not in unset.get("/archive/articles/1").text


def test_a_table_search_with_other_filters_shows_the_matched_passage(room: Client) -> None:
    """A search the ranked page cannot take (a tag filter) stays on the stories view, which
    then shows each story's matched passage with the words marked instead of its lead."""
    page = room.html("/archive/articles", _search="weather", tags__arraycontains="space")
    rows = page.xpath("//table[contains(@class,'ar-stories')]/tbody/tr")
    assert [r.xpath(".//td[contains(@class,'ar-headline')]/a/@href")[0] for r in rows] == [
        "/archive/articles/5"
    ]
    lead = rows[0].xpath(".//td[contains(@class,'ar-lead')]")[0]
    marks = [m.text.lower() for m in lead.xpath(".//mark")]
    assert marks and set(marks) == {"weather"}
    # without a search the lead is plain
    page = room.html("/archive/articles", tags__arraycontains="space")
    assert not page.xpath("//td[contains(@class,'ar-lead')]//mark")
