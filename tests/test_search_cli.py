"""`archiver search` through click: formats, filters, and 300 hostile strings typed in."""

from __future__ import annotations

import csv
import io
import json
import random
from pathlib import Path

import pytest
from click.testing import CliRunner

from archiver.cli import main

from search_helpers import build_archive

EXIT_INTERNAL = 3


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("cli")
    build_archive(tmp / "archive.db")
    path = tmp / "config.toml"
    path.write_text('[archive]\npath = "archive.db"\ncaptures = "captures"\n', encoding="utf-8")
    return path


def run(config: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["search", "--config", str(config), *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, result.stderr


def test_table(config: Path) -> None:
    code, out, _ = run(config, "satellite", "weather")
    assert code == 0
    assert out.index("Satellite launch postponed") < out.index("Space agency plans")
    assert "wire-en · 2022-03-01 15:30 UTC" in out
    assert "\x1b" not in out  # not a terminal: no colour


def test_json_and_csv(config: Path) -> None:
    code, out, _ = run(config, "--format", "json", "title:satellite")
    assert code == 0
    records = json.loads(out)
    assert [r["url"] for r in records] == ["https://www.example-wire.com/tech/satellite-launch"]
    assert {"id", "url", "source", "title", "published", "snippet"} <= set(records[0])
    code, out, _ = run(config, "--format", "csv", "satellite")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and len(rows) == 2 and rows[0]["source"] == "wire-en"


def test_filters_sort_all_and_count(config: Path) -> None:
    def urls(*args: str) -> list[str]:
        code, out, err = run(config, "--format", "json", *args)
        assert code == 0, err
        return [r["url"].rsplit("/", 1)[-1] for r in json.loads(out)]

    assert sorted(urls("cooperation", "--source", "tass-en", "--all")) == ["1251234", "1300001"]
    assert urls("cooperation", "--since", "2021-06-01") == ["1300001"]
    assert urls("cooperation", "--until", "2021-01-30T10:00", "--all") == ["1251234"]
    assert urls("пшеницы", "--lang", "ru") == ["2000001"]
    assert urls("satellite OR harvest", "--sort", "newest", "--limit", "2") == ["escape", "1400002"]
    assert len(urls('"military-technical cooperation"')) == 1
    assert len(urls('"military-technical cooperation"', "--all")) == 2
    code, out, _ = run(config, "--count", "--format", "json", "cooperation")
    assert code == 0 and json.loads(out) == [
        {"source": "tass-en", "count": 2},
        {"source": "wire-en", "count": 1},
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["   "], "empty query"),
        (["--", "-war"], "only of exclusions"),
        (["--raw", 'NEAR("a" b'], "invalid FTS5 query"),
        (["--since", "someday", "x"], "not a date"),
    ],
)
def test_one_line_errors(config: Path, args: list[str], message: str) -> None:
    code, out, err = run(config, *args)
    assert code not in (0, EXIT_INTERNAL)
    assert message in err and len(err.strip().splitlines()) == 1
    assert "Traceback" not in err + out


def test_300_hostile_strings(config: Path) -> None:
    rng = random.Random(300)
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
        "\\",
        "%",
        "_",
        ";",
        "--",
        "'; DROP TABLE articles; --",
        "\ufffd",
        " ",
        "rank",
        "rowid",
        "body:",
    ]
    outcomes = {"results": 0, "message": 0}
    for _ in range(300):
        words = [
            "".join(rng.choice(pieces) for _ in range(rng.randint(1, 4)))
            for _ in range(rng.randint(1, 4))
        ]
        fmt = rng.choice(["table", "json", "csv"])
        code, out, err = run(config, "--format", fmt, "--", *words)
        assert code != EXIT_INTERNAL, (words, err)
        assert "Traceback" not in out + err
        assert "sqlite" not in err.lower() and "fts5" not in err.lower(), (words, err)
        if code == 0:
            outcomes["results"] += 1
            if fmt == "json":
                json.loads(out)
        else:
            outcomes["message"] += 1
            assert len(err.strip().splitlines()) == 1, (words, err)
    assert outcomes["results"] > 100 and outcomes["message"] > 0
