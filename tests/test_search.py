"""search(), count(), parse_when() and the output formats, on a real archive."""

from __future__ import annotations

import csv
import io
import json
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from archiver.cli.hits import escape_text, format_counts, format_hits
from archiver.errors import QueryError, StoreError
from archiver.models import Article, SearchHit
from archiver.search import HL_END, HL_START, count, parse_when, search
from archiver.store import Store

from search_helpers import SEED_BODY, STORIES, Story, build_archive, when


def _slugs(hits: Sequence[SearchHit]) -> list[str]:
    return [h.url.rsplit("/", 1)[-1] for h in hits]


# ---------------------------------------------------------------- ranking, collapse, sort


def test_title_matches_rank_above_body_matches(archive: Path) -> None:
    assert _slugs(search(archive, "satellite")) == ["satellite-launch", "1400002"]


def test_one_hit_per_story_cluster_unless_all_versions(archive: Path) -> None:
    collapsed = search(archive, '"military-technical cooperation"')
    assert len(collapsed) == 1
    everything = search(archive, '"military-technical cooperation"', all_versions=True)
    assert sorted(_slugs(everything)) == ["1251234", "azerbaijan-turkey-cooperation"]
    assert {h.cluster_id for h in everything} == {collapsed[0].cluster_id}


def test_collapse_still_fills_the_limit(tmp_path: Path) -> None:
    # 30 near-copies of one story (one cluster, by SimHash) rank first; 5 other stories follow
    copies = [
        Story(
            url=f"https://x.test/dup/{i}",
            title="Flood flood flood",
            body=SEED_BODY.replace("January 30", f"January {i + 1} flood"),
        )
        for i in range(30)
    ]
    others = [
        Story(
            url=f"https://x.test/other/{i}",
            title=f"Story {i}",
            body=f"Item {i}: " + " ".join(f"w{i}x{j}" for j in range(60)) + " flood",
        )
        for i in range(5)
    ]
    path = build_archive(tmp_path / "a.db", copies + others)
    every = search(path, "flood", limit=100, all_versions=True)
    clusters = [h.cluster_id for h in every]
    assert len(every) == 35 and max(clusters.count(c) for c in clusters) >= 20
    hits = search(path, "flood", limit=5)
    assert [h.cluster_id for h in hits] == list(dict.fromkeys(clusters))[:5]
    assert len(search(path, "flood", limit=5, all_versions=True)) == 5
    assert sum(n for _, n in count(path, "flood")) == 35


def test_sort_newest(archive: Path) -> None:
    hits = search(archive, "cooperation OR satellite OR harvest", sort="newest", all_versions=True)
    dates = [h.published for h in hits if h.published is not None]
    assert len(dates) == len(hits) and dates == sorted(dates, reverse=True)
    assert len(hits) == 6
    with pytest.raises(QueryError, match="unknown sort"):
        search(archive, "baku", sort="oldest")


def test_limit(archive: Path) -> None:
    assert len(search(archive, "the", limit=2, all_versions=True)) == 2


# ---------------------------------------------------------------- filters


def test_source_filter_and_source_syntax_intersect(archive: Path) -> None:
    assert _slugs(search(archive, "cooperation", source=["wire-en"])) == [
        "azerbaijan-turkey-cooperation"
    ]
    both = search(archive, "cooperation", source=["tass-en", "wire-en"], all_versions=True)
    assert len(both) == 3
    assert search(archive, "cooperation source:tass-en", source=["wire-en"]) == []


def test_source_only_query_lists_newest(archive: Path) -> None:
    hits = search(archive, "source:wire-en")
    assert _slugs(hits) == ["escape", "satellite-launch", "azerbaijan-turkey-cooperation"]
    assert all(HL_START not in h.snippet for h in hits) and hits[1].snippet.startswith("The launch")


def test_since_until_and_lang(archive: Path) -> None:
    found = search(
        archive,
        "harvest OR satellite OR cooperation",
        all_versions=True,
        since=when("2021-08-20T00:00:00"),
        until=when("2022-03-02T00:00:00"),
    )
    assert sorted(_slugs(found)) == ["1300001", "satellite-launch"]
    assert _slugs(search(archive, "пшеницы", lang="ru")) == ["2000001"]
    assert search(archive, "пшеницы", lang="en") == []


def test_count_per_source(archive: Path) -> None:
    assert count(archive, "cooperation") == [("tass-en", 2), ("wire-en", 1)]
    assert count(archive, "cooperation", since=when("2021-06-01T00:00:00")) == [("tass-en", 1)]
    assert count(archive, "nothingmatchesthis") == []


# ---------------------------------------------------------------- parse_when

NOW = datetime(2024, 5, 10, 15, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "end", "expected"),
    [
        ("7d", False, NOW - timedelta(days=7)),
        ("12h", False, NOW - timedelta(hours=12)),
        ("2w", False, NOW - timedelta(weeks=2)),
        ("30m", False, NOW - timedelta(minutes=30)),
        (" 3 D ", False, NOW - timedelta(days=3)),
        ("today", False, datetime(2024, 5, 10, tzinfo=UTC)),
        ("yesterday", True, datetime(2024, 5, 10, tzinfo=UTC)),
        ("2021-01-30", False, datetime(2021, 1, 30, tzinfo=UTC)),
        ("2021-01-30", True, datetime(2021, 1, 31, tzinfo=UTC)),
        ("2021-12", True, datetime(2022, 1, 1, tzinfo=UTC)),
        ("2021", False, datetime(2021, 1, 1, tzinfo=UTC)),
        ("2021-01-30T09:12", False, datetime(2021, 1, 30, 9, 12, tzinfo=UTC)),
        ("2021-01-30 09:12:00Z", False, datetime(2021, 1, 30, 9, 12, tzinfo=UTC)),
        ("2021-01-30T12:12:00+03:00", False, datetime(2021, 1, 30, 9, 12, tzinfo=UTC)),
    ],
)
def test_parse_when(text: str, end: bool, expected: datetime) -> None:
    got = parse_when(text, NOW, end=end)
    assert got == expected and got.tzinfo is not None


@pytest.mark.parametrize(
    "text",
    [
        "",
        "soon",
        "7x",
        "2021-13-01",
        "2021-02-30",
        "99999999d",
        "1e9d",
        "2021-01-30T25:00",
        "\x00",
        "last tuesday",
    ],
)
def test_parse_when_garbage(text: str) -> None:
    with pytest.raises(QueryError, match=r"not a date|too far") as info:
        parse_when(text, NOW)
    assert "\n" not in str(info.value)


# ---------------------------------------------------------------- formats


def test_table_highlights_on_a_terminal_only(archive: Path) -> None:
    hits = search(archive, "satellite")
    colored = format_hits(hits, "table", color=True)
    assert "\x1b[1;33msatellite\x1b[0m" in colored.lower()
    plain = format_hits(hits, "table", color=False)
    assert "\x1b" not in plain and HL_START not in plain and HL_END not in plain
    assert "Satellite launch postponed over weather" in plain
    assert "wire-en · 2022-03-01 15:30 UTC" in plain
    assert "https://www.example-wire.com/tech/satellite-launch" in plain
    assert format_hits([], "table") == "No matches."


def test_hostile_title_is_escaped_in_table_and_csv(archive: Path) -> None:
    hits = search(archive, "festival")
    assert hits and "\x1b" in (hits[0].title or "")
    for fmt, color in (("table", False), ("table", True), ("csv", False)):
        out = format_hits(hits, fmt, color=color)
        data_part = out.replace("\x1b[1;33m", "").replace("\x1b[0m", "")
        data_part = data_part.replace("\x1b[1m", "").replace("\x1b[2m", "")
        assert "\x1b" not in data_part and "\u202e" not in data_part
        assert "Breaking\\x1b[31m red\\x1b[0m news second line \\u202egnirts" in out


def test_json_has_the_stable_fields(archive: Path) -> None:
    records = json.loads(format_hits(search(archive, "satellite"), "json"))
    first = records[0]
    assert first["url"] == "https://www.example-wire.com/tech/satellite-launch"
    assert {"id", "url", "source", "title", "published", "snippet"} <= set(first)
    assert first["published"] == "2022-03-01T15:30:00+00:00"
    assert "satellite" in first["snippet"] and HL_START not in first["snippet"]
    assert isinstance(first["id"], int) and first["source"] == "wire-en"
    assert json.loads(format_hits([], "json")) == []


def test_json_keeps_hostile_data_faithful_and_escaped(archive: Path) -> None:
    out = format_hits(search(archive, "festival"), "json")
    assert "\x1b" not in out  # json escapes it as \u001b
    assert json.loads(out)[0]["title"] == STORIES[6].title


def test_csv_has_a_header_and_one_row_per_hit(archive: Path) -> None:
    rows = list(csv.DictReader(io.StringIO(format_hits(search(archive, "satellite"), "csv"))))
    assert [r["url"].rsplit("/", 1)[-1] for r in rows] == ["satellite-launch", "1400002"]
    assert rows[0]["published"] == "2022-03-01T15:30:00+00:00"
    assert format_hits([], "csv").splitlines() == [
        "id,url,source,title,published,snippet,language,cluster_id,rank"
    ]
    with pytest.raises(QueryError):
        format_hits([], "xml")


def test_count_formats() -> None:
    counts = [("tass-en", 2), ("wire\x1b-en", 1)]
    table = format_counts(counts)
    assert "tass-en" in table and "wire\\x1b-en" in table and "total" in table and "3" in table
    assert json.loads(format_counts(counts, "json"))[0] == {"source": "tass-en", "count": 2}
    assert format_counts(counts, "csv").splitlines()[0] == "source,count"


def test_escape_text() -> None:
    assert escape_text("a\nb\t\tc\r\n") == "a b c"
    assert escape_text("x\x1b[2Jy\x07\x9b") == "x\\x1b[2Jy\\x07\\x9b"
    assert escape_text(None) == ""


# ---------------------------------------------------------------- opening the archive


def test_missing_archive_is_a_friendly_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no archive at"):
        search(tmp_path / "nope.db", "baku")


def test_not_an_archive(tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError):
        search(junk, "baku")
    empty = tmp_path / "empty.db"
    Store(empty).conn.execute("CREATE TABLE t (x)")
    with pytest.raises(StoreError, match="no such table"):
        search(empty, "baku")


def test_search_never_writes(archive: Path) -> None:
    before = archive.stat().st_mtime_ns
    search(archive, "satellite")
    count(archive, "satellite")
    assert archive.stat().st_mtime_ns == before


def test_readers_while_a_writer_writes(tmp_path: Path) -> None:
    path = build_archive(tmp_path / "live.db")
    stop = threading.Event()
    written: list[int] = []
    errors: list[BaseException] = []

    def writer() -> None:
        store = Store(path)
        try:
            i = 0
            while not stop.is_set():
                body = f"Live update {i} on the harvest and the satellite. " * 40
                store.save_article(
                    Article(url=f"https://live.test/{i}", title=f"Live {i}", body=body),
                    source="live",
                )
                written.append(i)
                i += 1
                if i % 50 == 0:
                    store.checkpoint()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            store.close()

    def reader() -> None:
        try:
            while not stop.is_set():
                search(path, "harvest", limit=5)
                count(path, "satellite")
                search(path, "source:live", limit=3)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer)] + [
        threading.Thread(target=reader) for _ in range(4)
    ]
    for t in threads:
        t.start()
    time.sleep(2.0)
    stop.set()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    assert len(written) > 20
    assert dict(count(path, "live"))["live"] == len(written)
