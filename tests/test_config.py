"""config.toml parsing: good configs load, every mistake is one line naming its key."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from archiver.config import load_config, parse_config, parse_interval
from archiver.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]


def test_shipped_config_loads_with_real_agency_sources() -> None:
    config = load_config(REPO / "config.toml")
    names = {s.name for s in config.sources}
    assert {
        "tass-en",
        "tass-ru",
        "reuters",
        "yonhap-en",
        "anadolu-en",
        "kyodo-en",
        "upi",
        "ansa-en",
    } <= names
    assert config.source("tass-en").url == "https://tass.com/rss/v2.xml"
    assert config.source("reuters").kind == "sitemap"
    assert config.http.allow_private is False
    assert config.archive.path == REPO / "var" / "archive.db"


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("30s", 30),
        ("5m", 300),
        ("1h", 3600),
        ("1d", 86400),
        (90, 90),
        ("1.5h", 5400),
        ("250ms", 0.25),
    ],
)
def test_intervals(value: object, seconds: float) -> None:
    assert parse_interval(value, "every") == timedelta(seconds=seconds)


@pytest.mark.parametrize("value", ["5 minutes", "", "-1m", 0, "m", True, "1y"])
def test_bad_intervals_name_the_key(value: object) -> None:
    with pytest.raises(ConfigError, match=r"sources\[0\].*every"):
        parse_config({"sources": [{"name": "a", "url": "https://x.org/", "every": value}]})


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"sources": [{"name": "a", "url": "https://x.org/", "evrey": "5m"}]},
            r"sources\[0\] \(a\)\.evrey: unknown key \(did you mean 'every'\?\)",
        ),
        ({"sources": [{"name": "a", "kind": "feed"}]}, r"sources\[0\] \(a\)\.url: missing"),
        ({"sources": [{"name": "a", "url": "ftp://x.org/"}]}, r"\.url: 'ftp://x.org/' is not"),
        (
            {"sources": [{"name": "a", "url": "https://x.org/", "kind": "page", "links": "(["}]},
            r"\.links: bad regex",
        ),
        (
            {"sources": [{"name": "a", "url": "https://x.org/", "kind": "page"}]},
            r"\.links: missing",
        ),
        (
            {"sources": [{"name": "a", "url": "https://x.org/", "kind": "atom"}]},
            r"\.kind: 'atom' is not one of",
        ),
        ({"sources": [{"url": "https://x.org/"}]}, r"sources\[0\]\.name: missing"),
        (
            {
                "sources": [
                    {"name": "a", "url": "https://x.org/"},
                    {"name": "a", "url": "https://y.org/"},
                ]
            },
            r"used by two sources",
        ),
        ({"http": {"timeout": "soon"}}, r"http\.timeout: expected an integer or a number"),
        ({"http": {"delay": -1}}, r"http\.delay: must be at least 0"),
        ({"http": {"allow_privat": True}}, r"http\.allow_privat: unknown key"),
        ({"archive": {"path": 3}}, r"archive\.path: expected a string"),
        ({"daemon": {"workers": 0}}, r"daemon\.workers: must be at least 1"),
        ({"sorces": []}, r"sorces: unknown key \(did you mean 'sources'\?\)"),
    ],
)
def test_mistakes_are_one_line_naming_the_key(data: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message) as info:
        parse_config(data)
    assert "\n" not in str(info.value)


def test_missing_and_broken_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[http\ntimeout = 3", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(bad)


def test_paths_resolve_against_the_config_folder(tmp_path: Path) -> None:
    file = tmp_path / "c.toml"
    file.write_text('[archive]\npath = "data/a.db"\n', encoding="utf-8")
    config = load_config(file)
    assert config.archive.path == tmp_path / "data" / "a.db"


def test_revisit_ladder_and_defaults() -> None:
    config = parse_config(
        {
            "sources": [
                {"name": "a", "url": "https://x.org/feed", "revisit": []},
                {"name": "b", "url": "https://x.org/feed2", "revisit": ["30m", "2h"]},
                {"name": "c", "url": "https://x.org/feed3"},
            ]
        }
    )
    assert config.source("a").revisit == ()
    assert config.source("b").revisit == (timedelta(minutes=30), timedelta(hours=2))
    assert config.source("c").revisit == (
        timedelta(hours=1),
        timedelta(hours=6),
        timedelta(hours=24),
    )
    with pytest.raises(ConfigError, match="no source named 'z'"):
        config.source("z")
