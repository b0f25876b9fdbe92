"""Issue 16, errors and output: non-UTF-8 arguments fail in one line; no raw C1 or bidi
control reaches a terminal, in text or JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from archiver.cli.render import to_json
from archiver.logs import escape, safe_json
from archiver.store import Store

HOSTILE = "a\u202etxt.exe\u2066b\x85c\x9bd\x7fe"
RAW = ("\u202e", "\u2066", "\x85", "\x9b", "\x7f")


def test_text_output_escapes_bidi_and_c1() -> None:
    shown = escape(HOSTILE)
    assert not any(ch in shown for ch in RAW)
    assert "\\u202e" in shown and "\\x85" in shown


def test_json_output_is_the_same_value_without_raw_controls() -> None:
    for text in (to_json({"title": HOSTILE}), safe_json(json.dumps([HOSTILE], ensure_ascii=False))):
        assert not any(ch in text for ch in RAW)
    assert json.loads(to_json({"title": HOSTILE})) == {"title": HOSTILE}
    assert safe_json('"plain é 中"') == '"plain é 中"'  # other text untouched


@pytest.mark.parametrize(
    "argv",
    [
        [b"search", b"x", b"--lang", b"\xff"],
        [b"search", b"x", b"--source", b"\xff\xfe"],
        [b"show", b"\xff"],
    ],
)
def test_non_utf8_arguments_fail_in_one_line(tmp_path: Path, argv: list[bytes]) -> None:
    (tmp_path / "config.toml").write_text('[archive]\npath = "a.db"\ncaptures = "c"\n')
    with Store(tmp_path / "a.db") as store:
        store.migrate()
    script = "import sys; from archiver.cli import main; sys.argv[0] = 'archiver'; main()"
    done = subprocess.run(
        [sys.executable.encode(), b"-c", script.encode(), *argv],
        capture_output=True,
        cwd=tmp_path,
        env={**os.environ, "LC_ALL": "C.UTF-8"},
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.decode().splitlines()
    assert len(lines) == 1 and "not valid UTF-8" in lines[0]
