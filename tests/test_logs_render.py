"""Log lines and terminal output: one line per unit of work, data from the web escaped."""

from __future__ import annotations

import io
import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from archiver.cli.render import (
    article_record,
    article_text,
    health_records,
    plain_table,
    poll_summary,
)
from archiver.logs import escape, event, get_logger, setup_logging
from archiver.models import Article, Dateline, PollReport, SourceHealth
from archiver.poll.health import source_status

NOW = datetime(2024, 5, 16, 12, 0, tzinfo=UTC)


def test_escape_control_characters_and_ansi() -> None:
    assert escape("red \x1b[31malert\x1b[0m") == "red \\x1b[31malert\\x1b[0m"
    assert escape("two\nlines\r") == "two\\nlines\\r"
    assert escape("nul\x00 c1\x9b") == "nul\\x00 c1\\x9b"
    assert escape("Москва, 北京") == "Москва, 北京"


def test_json_log_line_per_event() -> None:
    stream = io.StringIO()
    setup_logging(json_lines=True, stream=stream)
    event(get_logger(), "poll", source="tass-en", outcome="ok", new=3, seen=20, ms=812)
    line = json.loads(stream.getvalue())
    assert line["msg"] == "poll" and line["source"] == "tass-en" and line["new"] == 3


def test_text_log_line_escapes_titles() -> None:
    stream = io.StringIO()
    setup_logging(json_lines=False, stream=stream)
    event(get_logger(), "article", level=logging.WARNING, url="https://x/\x1b[2J", ms=5)
    out = stream.getvalue()
    assert out.count("\n") == 1 and "\x1b" not in out and "\\x1b[2J" in out


def status(fields: dict[str, Any], now: datetime) -> str:
    return source_status(SourceHealth(**fields), now)


def test_source_status_words() -> None:
    base: dict[str, Any] = {"name": "s", "kind": "feed", "url": "u", "enabled": 1, "every_s": 300}
    assert status({**base, "last_outcome": None}, NOW) == "never polled"
    assert status({**base, "last_outcome": "ok"}, NOW) == "ok"
    assert status({**base, "last_outcome": "not_modified"}, NOW) == "not modified"
    assert (
        status(
            {
                **base,
                "last_outcome": "failed",
                "error_count": 1,
                "next_check": (NOW + timedelta(minutes=5)).isoformat(),
            },
            NOW,
        )
        == "failing"
    )
    assert (
        status(
            {
                **base,
                "last_outcome": "failed",
                "error_count": 4,
                "next_check": (NOW + timedelta(hours=2)).isoformat(),
            },
            NOW,
        )
        == "backing off"
    )
    assert (
        status({**base, "last_outcome": "blocked", "last_error": "robots.txt disallows /feed"}, NOW)
        == "blocked by robots"
    )
    assert status({**base, "enabled": 0}, NOW) == "disabled"


def test_health_records_have_the_contract_fields() -> None:
    rows = [
        SourceHealth(
            name="s",
            kind="feed",
            url="u",
            enabled=True,
            last_outcome="ok",
            polls=4,
            not_modified=3,
            articles=7,
            error_count=0,
        )
    ]
    record = health_records(rows, NOW)[0]
    assert set(record) >= {
        "name",
        "kind",
        "url",
        "status",
        "last_polled",
        "next_check",
        "error_count",
        "last_error",
        "articles",
    }
    assert record["not_modified_share"] == 0.75


def test_article_text_and_record() -> None:
    a = Article(
        url="https://tass.com/world/1",
        title="Title \x1b[1m",
        lead="Lead.",
        body="BAKU, January 30. /TASS/. First.\n\nSecond.",
        dateline=Dateline("BAKU, January 30. /TASS/.", "BAKU", "January 30", "TASS"),
        published=NOW,
        published_from="jsonld",
        authors=("A B",),
    )
    record = article_record(a)
    assert record["dateline"]["place"] == "BAKU" and record["word_count"] == a.word_count
    text = article_text(record)
    assert "\x1b" not in text and "BAKU / January 30 / TASS" in text
    assert "(from jsonld)" in text and "[body]" in text


def test_tables() -> None:
    rows = poll_summary(
        [
            PollReport("a", "not_modified", ms=3),
            PollReport("b", "failed", error="timeout after 30 s"),
        ]
    )
    out = plain_table(rows)
    assert "not modified" in out and "timeout after 30 s" in out
    assert len(out.splitlines()) == 3
