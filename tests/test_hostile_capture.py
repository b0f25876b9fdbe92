"""Issue 16, captures: start-up reads only files not closed cleanly; a full disk leaves no
empty WARC file behind and fails in one line."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path

import pytest

from archiver.capture import WarcWriter, repair_tails
from archiver.capture import repair as repair_module
from archiver.errors import StoreError
from test_capture import page, write

CRASH = """
import os, sys
from datetime import datetime, UTC
from archiver.capture import WarcWriter
w = WarcWriter(sys.argv[1])
w.write("https://example.com/crash", request_headers=[], status=200, response_headers=[],
        body=b"<html>crash</html>", fetched_at=datetime.now(UTC))
os._exit(0)  # a crash: never closed
"""


def test_only_files_not_closed_cleanly_are_read_at_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(3):  # three cleanly closed files (three writers, three processes' worth)
        with WarcWriter(tmp_path) as writer:
            write(writer, f"https://example.com/{n}", page(n))
    subprocess.run([sys.executable, "-c", CRASH, str(tmp_path)], check=True, env=os.environ)
    files = sorted(tmp_path.glob("*.warc.gz"))
    assert len(files) == 4
    crashed = [f for f in files if f.stat().st_mode & 0o200]
    assert len(crashed) == 1  # only the crashed one is still writable
    with open(crashed[0], "ab") as handle:
        handle.write(b"\x1f\x8b\x08\x00torn")
    read: list[Path] = []
    real = repair_module.members  # type: ignore[attr-defined]

    def counting(path: Path):  # type: ignore[no-untyped-def]
        read.append(Path(path))
        return real(path)

    monkeypatch.setattr(repair_module, "members", counting)
    assert repair_tails(tmp_path) == 8
    assert read == crashed


def test_a_full_disk_leaves_no_empty_capture_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(*_args: object, **_kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("archiver.capture.writer.WARCWriter.write_record", full)
    with WarcWriter(tmp_path) as writer:
        for _ in range(3):
            with pytest.raises(StoreError, match="No space left on device"):
                write(writer, "https://example.com/a", page(1))
    assert list(tmp_path.glob("*.warc.gz")) == []
