"""One terminal escaper on every output path: search, show, sources, poll and the logs."""

from __future__ import annotations

import io
import json
import logging
import re
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from archiver.cli import main
from archiver.cli.render import article_text, plain_table, poll_summary
from archiver.config import load_config
from archiver.logs import escape, event, get_logger, setup_logging
from archiver.models import PollReport
from archiver.store import Store
from archiver.timeutil import utcnow

from search_helpers import STORIES, build_archive

# every character a page must never get to a terminal raw, and how it is shown
UNSAFE = {
    "\x00": "\\x00",
    "\x07": "\\x07",
    "\x1b": "\\x1b",
    "\x7f": "\\x7f",
    "\x85": "\\x85",
    "\x9b": "\\x9b",
    "\u061c": "\\u061c",
    "\u200e": "\\u200e",
    "\u200f": "\\u200f",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
    **{chr(c): f"\\u{c:04x}" for c in range(0x202A, 0x202F)},
    **{chr(c): f"\\u{c:04x}" for c in range(0x2066, 0x206A)},
    "\ud800": "\\ud800",
}
RAW = re.compile("[" + "".join(re.escape(c) for c in UNSAFE) + "]")
HOSTILE = next(s for s in STORIES if "\u202e" in (s.title or ""))
ERROR = "HTTP 503 from \u202eevil\u202c \x1b[2Jhost"


def assert_safe(text: str) -> None:
    assert RAW.search(text) is None, [m.group(0) for m in RAW.finditer(text)]


@pytest.mark.parametrize(("char", "shown"), sorted(UNSAFE.items()))
def test_escape_shows_every_unsafe_character(char: str, shown: str) -> None:
    assert escape(f"a{char}b") == f"a{shown}b"
    assert escape(f"a{char}b", oneline=True) == f"a{shown}b"  # escaped before any collapsing


def test_escape_keeps_text_and_the_oneline_form_collapses_whitespace() -> None:
    assert escape("Москва, 北京, مرحبا, שלום") == "Москва, 北京, مرحبا, שלום"
    assert escape("two\nlines\ttab") == "two\\nlines\ttab"
    assert escape("  two\n lines\t\ttab\r\n", oneline=True) == "two lines tab"
    assert escape(None) == "" and escape(5) == "5"


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("terminal")
    build_archive(tmp / "archive.db")
    path = tmp / "config.toml"
    path.write_text(
        '[archive]\npath = "archive.db"\ncaptures = "captures"\n\n'
        '[[sources]]\nname = "wire-en"\nkind = "feed"\nurl = "http://127.0.0.1:9/feed"\n'
        'every = "5m"\n',
        encoding="utf-8",
    )
    now = utcnow()
    with Store(tmp / "archive.db") as store:
        store.migrate()
        store.sync_sources(load_config(path).sources, now)
        store.record_poll(
            "wire-en",
            outcome="failed",
            polled_at=now,
            next_check=now + timedelta(minutes=5),
            error=ERROR,
        )
    return path


def cli(config: Path, *args: str) -> str:
    result = CliRunner().invoke(main, [*args, "--config", str(config)])
    assert result.exit_code == 0, (result.output, result.exception)
    return result.stdout


def test_search_table_and_csv_escape(config: Path) -> None:
    out = cli(config, "search", "harvest", "festival")
    assert_safe(out)
    assert "\\x1b[31m red\\x1b[0m news second line \\u202egnirts" in out
    assert_safe(cli(config, "search", "--format", "csv", "harvest", "festival"))


def test_show_escapes_like_search(config: Path) -> None:
    out = cli(config, "show", HOSTILE.url)
    assert_safe(out)
    assert "\\u202egnirts" in out and "\\x1b[31m" in out
    assert_safe(cli(config, "show", "--revisions", "--diff", HOSTILE.url))
    # JSON stays faithful: the program reading it gets the title as it was
    record = json.loads(cli(config, "show", "--format", "json", HOSTILE.url))
    assert record["title"] == HOSTILE.title


def test_sources_table_escapes_the_last_error(config: Path) -> None:
    out = cli(config, "sources")
    assert_safe(out)
    assert "\\u202eevil\\u202c \\x1b[2Jhost" in out
    records = json.loads(cli(config, "sources", "--format", "json"))
    assert records[0]["last_error"] == ERROR


def test_poll_summary_and_article_text_escape() -> None:
    report = PollReport(source="wire-en", outcome="failed", error=ERROR)
    assert_safe(plain_table(poll_summary([report])))
    text = article_text({"title": HOSTILE.title, "body": f"one {ERROR}\n\ntwo \u2066x\u2069"})
    assert_safe(text)
    assert "\\u2066x\\u2069" in text


def test_text_log_escapes_and_json_log_stays_faithful() -> None:
    stream = io.StringIO()
    setup_logging(json_lines=False, stream=stream)
    event(get_logger(), "article", level=logging.WARNING, title=HOSTILE.title, error=ERROR)
    line = stream.getvalue()
    assert_safe(line)
    assert line.count("\n") == 1
    assert "\\u202egnirts" in line

    stream = io.StringIO()
    setup_logging(json_lines=True, stream=stream)
    event(get_logger(), f"title {HOSTILE.title}", title=HOSTILE.title, error=ERROR)
    line = stream.getvalue()
    assert_safe(line)
    assert line.count("\n") == 1
    data = json.loads(line)
    assert data["title"] == HOSTILE.title and data["error"] == ERROR
