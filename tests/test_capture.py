"""Raw capture: WARC round trips, revisits, rotation, torn tails, threads, file names."""

from __future__ import annotations

import gzip
import itertools
import os
import random
import re
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from archiver.capture import (
    CaptureRef,
    WarcWriter,
    capture_files,
    iter_captures,
    payload_digest,
    read_capture,
    repair_tail,
    repair_tails,
)
from archiver.errors import StoreError

NAME = re.compile(r"^archiver-\d{8}T\d{6}Z-\d{5}\.warc\.gz$")
T0 = datetime(2024, 1, 30, 9, 15, 7, 250000, tzinfo=UTC)
REQ = [("User-Agent", "archiver/0.1 (+test)"), ("Accept", "text/html")]


def page(n: int, size: int = 3000) -> bytes:
    text = f"<html><head><title>Story {n}</title></head><body>"
    text += " ".join(
        f"<p>Paragraph {n}.{i} of the story, with words.</p>" for i in range(size // 50)
    )
    return (text + "</body></html>").encode()


def noise(n: int) -> bytes:
    """A body gzip cannot shrink (for rotation by size)."""
    return random.Random(n).randbytes(6000)


def write(writer: WarcWriter, url: str, body: bytes, **kwargs: object) -> CaptureRef:
    return writer.write(
        url,
        request_headers=REQ,
        status=200,
        response_headers=[("Content-Type", "text/html; charset=utf-8")],
        body=body,
        fetched_at=kwargs.pop("fetched_at", T0),  # type: ignore[arg-type]
        **kwargs,  # type: ignore[arg-type]
    )


def test_round_trip(tmp_path: Path) -> None:
    body = page(1)
    with WarcWriter(tmp_path) as writer:
        ref = writer.write(
            "https://tass.com/world/1?utm_source=rss",
            request_headers=REQ,
            status=200,
            response_headers=[
                ("Content-Type", "text/html; charset=windows-1251"),
                ("Content-Encoding", "gzip"),
                ("Content-Length", "123"),
                ("ETag", '"abc"'),
            ],
            body=body,
            fetched_at=T0,
        )
    assert not ref.revisit
    assert ref.payload_digest == payload_digest(body)
    assert ref.record_id.startswith("<urn:uuid:")
    got = read_capture(tmp_path, ref)
    assert got.url == "https://tass.com/world/1?utm_source=rss"
    assert got.status == 200
    assert got.body == body
    assert got.fetched_at == T0
    headers = dict(got.headers)
    assert headers["Content-Type"] == "text/html; charset=windows-1251"
    assert headers["ETag"] == '"abc"'
    # the body is stored decoded: no encoding header left that would make tools decode it
    assert "Content-Encoding" not in headers
    assert headers["X-Archiver-Original-Content-Encoding"] == "gzip"
    assert headers["Content-Length"] == str(len(body))
    assert [(r, c.body) for r, c in iter_captures(tmp_path)] == [(ref, body)]


def test_files_are_standard_warc(tmp_path: Path) -> None:
    with WarcWriter(tmp_path) as writer:
        first = write(writer, "https://example.com/a", page(1))
        write(writer, "https://example.com/a", page(1), previous=first)
    (path,) = capture_files(tmp_path)
    with open(path, "rb") as handle:
        records = [
            (r.rec_type, r.rec_headers.get_header("WARC-Target-URI"), r.content_stream().read())
            for r in ArchiveIterator(handle)
        ]
    assert [r[0] for r in records] == ["warcinfo", "request", "response", "revisit"]
    assert records[2][2] == page(1)
    assert records[1][2] == b""
    # each record is its own gzip member: offset/length address it alone
    with open(path, "rb") as handle:
        handle.seek(first.offset)
        member = gzip.decompress(handle.read(first.length))
    assert member.startswith(b"WARC/1.1\r\n")
    assert first.record_id.encode() in member


def test_revisit_for_unchanged_payload(tmp_path: Path) -> None:
    body = page(2, size=60000)  # compresses to ~3 KB: a revisit record (~0.5 KB) is far less
    later = T0 + timedelta(hours=6)
    with WarcWriter(tmp_path) as writer:
        first = write(writer, "https://example.com/s", body)
        second = write(writer, "https://example.com/s", body, previous=first, fetched_at=later)
        third = write(writer, "https://example.com/s", body, previous=second)
        changed = write(writer, "https://example.com/s", body + b"<p>UPDATE</p>", previous=third)
    assert (first.revisit, second.revisit, third.revisit, changed.revisit) == (
        False,
        True,
        True,
        False,
    )
    assert second.payload_digest == first.payload_digest
    assert second.length < first.length / 3
    got = read_capture(tmp_path, second)
    assert got.body == body
    assert got.fetched_at == later  # the revisit's own date
    assert dict(got.headers)["Content-Length"] == str(len(body))
    assert read_capture(tmp_path, third).body == body
    assert read_capture(tmp_path, changed).body == body + b"<p>UPDATE</p>"
    # a revisit of a revisit refers to the original response, per the standard profile
    with open(tmp_path / third.file, "rb") as handle:
        handle.seek(third.offset)
        record = next(iter(ArchiveIterator(handle)))
        assert record.rec_type == "revisit"
        assert record.rec_headers.get_header("WARC-Refers-To") == first.record_id
        assert record.rec_headers.get_header("WARC-Profile").endswith("identical-payload-digest")
        assert record.rec_headers.get_header("WARC-Refers-To-Target-URI") == "https://example.com/s"
    revisits = [ref.revisit for ref, _ in iter_captures(tmp_path)]
    assert revisits == [False, True, True, False]
    assert all(c.body.startswith(b"<html>") for _, c in iter_captures(tmp_path))


def test_previous_digest_decides(tmp_path: Path) -> None:
    with WarcWriter(tmp_path) as writer:
        first = write(writer, "https://example.com/s", page(3))
        forced_full = write(writer, "https://example.com/s", page(3), previous=first,
                            previous_digest="sha1:SOMETHINGELSE")  # fmt: skip
        no_previous = write(writer, "https://example.com/s", page(3))
    assert not forced_full.revisit
    assert not no_previous.revisit


def test_unreadable_previous_gives_a_full_record(tmp_path: Path) -> None:
    with WarcWriter(tmp_path) as writer:
        first = write(writer, "https://example.com/s", page(4))
        ghost = CaptureRef("gone.warc.gz", 0, 10, first.record_id, first.payload_digest)
        ref = write(writer, "https://example.com/s", page(4), previous=ghost)
    assert not ref.revisit
    assert read_capture(tmp_path, ref).body == page(4)


def test_rotation(tmp_path: Path) -> None:
    refs = []
    with WarcWriter(tmp_path, max_bytes=8000) as writer:
        for n in range(12):
            refs.append(write(writer, f"https://example.com/{n}", noise(n)))
    files = capture_files(tmp_path)
    assert len(files) >= 4
    assert len({ref.file for ref in refs}) == len(files)
    for path in files:
        assert NAME.match(path.name)
        with open(path, "rb") as handle:
            assert next(iter(ArchiveIterator(handle))).rec_type == "warcinfo"
    for n, ref in enumerate(refs):
        assert read_capture(tmp_path, ref).body == noise(n)
    assert [c.url for _, c in iter_captures(tmp_path)] == [
        f"https://example.com/{n}" for n in range(12)
    ]


def test_new_writer_starts_a_new_file(tmp_path: Path) -> None:
    with WarcWriter(tmp_path) as writer:
        a = write(writer, "https://example.com/a", page(1))
    with WarcWriter(tmp_path) as writer:
        b = write(writer, "https://example.com/b", page(2))
    assert a.file != b.file
    assert [c.url for _, c in iter_captures(tmp_path)] == [
        "https://example.com/a",
        "https://example.com/b",
    ]


def test_no_file_until_first_write(tmp_path: Path) -> None:
    WarcWriter(tmp_path / "captures").close()
    assert capture_files(tmp_path / "captures") == []
    assert list(iter_captures(tmp_path / "missing")) == []


def _three(tmp_path: Path) -> tuple[Path, list[CaptureRef]]:
    with WarcWriter(tmp_path) as writer:
        refs = [write(writer, f"https://example.com/{n}", page(n, 8000)) for n in range(3)]
    return tmp_path / refs[0].file, refs


def test_torn_tail_is_ignored_then_repaired(tmp_path: Path) -> None:
    path, refs = _three(tmp_path)
    size = path.stat().st_size
    with open(path, "r+b") as handle:  # a crash in the middle of the last response record
        handle.truncate(refs[2].offset + refs[2].length // 2)
    got = [c.url for _, c in iter_captures(tmp_path)]
    assert got == ["https://example.com/0", "https://example.com/1"]
    with pytest.raises(StoreError):
        read_capture(tmp_path, refs[2])
    dropped = repair_tail(path)
    assert dropped == refs[2].length // 2
    assert path.stat().st_size == refs[2].offset  # back to the end of the last whole record
    assert path.stat().st_size < size
    assert repair_tail(path) == 0
    assert [c.url for _, c in iter_captures(tmp_path)] == got
    assert read_capture(tmp_path, refs[1]).body == page(1, 8000)


def test_garbage_tail_is_repaired(tmp_path: Path) -> None:
    path, _refs = _three(tmp_path)
    good = path.stat().st_size
    path.chmod(0o644)  # as a crash leaves it (a clean close makes it read-only)
    with open(path, "ab") as handle:  # zero-filled blocks and a half gzip header
        handle.write(b"\x00" * 4096 + b"\x1f\x8b\x08\x00junk")
    assert len(list(iter_captures(tmp_path))) == 3
    assert repair_tails(tmp_path) == 4096 + 8
    assert path.stat().st_size == good


def test_damage_in_the_middle_loses_one_record_only(tmp_path: Path) -> None:
    path, refs = _three(tmp_path)
    with open(path, "r+b") as handle:
        handle.seek(refs[1].offset + refs[1].length // 2)
        handle.write(b"\xff" * 64)
    urls = [c.url for _, c in iter_captures(tmp_path)]
    assert urls == ["https://example.com/0", "https://example.com/2"]
    assert repair_tail(path) == 0  # never cuts whole records that follow the damage
    assert read_capture(tmp_path, refs[2]).body == page(2, 8000)


def test_file_in_use_is_not_repaired(tmp_path: Path) -> None:
    writer = WarcWriter(tmp_path)
    ref = write(writer, "https://example.com/a", page(1))
    path = tmp_path / ref.file
    with open(path, "ab") as handle:
        handle.write(b"\x1f\x8b\x08\x00torn")
    assert repair_tail(path) == 0  # the live writer holds it
    writer.close()
    assert repair_tail(path) == 8


def test_failed_write_is_cut_off_and_next_write_works(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = WarcWriter(tmp_path)
    first = write(writer, "https://example.com/a", page(1))
    real_fsync = os.fsync
    calls = {"n": 0}

    def failing_fsync(fd: int) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise OSError(28, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr("archiver.capture.writer.os.fsync", failing_fsync)
    with pytest.raises(StoreError, match="No space left"):
        write(writer, "https://example.com/b", page(2))
    after = write(writer, "https://example.com/c", page(3))
    writer.close()
    assert after.file != first.file
    assert (tmp_path / first.file).stat().st_size == first.offset + first.length
    assert [c.url for _, c in iter_captures(tmp_path)] == [
        "https://example.com/a",
        "https://example.com/c",
    ]


def test_records_written_unsynced_share_one_fsync(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_fsync = os.fsync
    synced: list[int] = []  # the file size each fsync made durable

    def counting_fsync(fd: int) -> None:
        real_fsync(fd)
        synced.append(os.fstat(fd).st_size)

    monkeypatch.setattr("archiver.capture.writer.os.fsync", counting_fsync)
    with WarcWriter(tmp_path) as writer:
        refs = [write(writer, f"https://example.com/{n}", page(n), sync=False) for n in range(3)]
        started = len(synced)  # the warcinfo record of the new file
        assert writer.fsyncs == 0
        writer.durable(refs[1])  # covers every record written so far
        assert writer.fsyncs == 1
        assert synced[-1] == refs[2].offset + refs[2].length
        writer.durable(refs[0])
        writer.durable(refs[2])
        assert writer.fsyncs == 1 and len(synced) == started + 1
        later = write(writer, "https://example.com/3", page(3), sync=False)
        writer.durable(later)
        assert writer.fsyncs == 2
        write(writer, "https://example.com/4", page(4))  # sync=True: fsynced at once
        assert writer.fsyncs == 3
    assert [read_capture(tmp_path, r).body for r in refs] == [page(n) for n in range(3)]


def test_unsynced_records_are_fsynced_when_their_file_rotates(tmp_path: Path) -> None:
    with WarcWriter(tmp_path, max_bytes=4000) as writer:  # one record fills a file
        first = write(writer, "https://example.com/0", noise(0), sync=False)
        second = write(writer, "https://example.com/1", noise(1), sync=False)
        assert first.file != second.file
        assert writer.fsyncs == 1  # the first file, on rotation
        writer.durable(first)
        assert writer.fsyncs == 1
        writer.durable(second)
        assert writer.fsyncs == 2


def test_a_failed_fsync_keeps_rows_from_pointing_at_the_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer = WarcWriter(tmp_path)
    a = write(writer, "https://example.com/a", page(1), sync=False)
    b = write(writer, "https://example.com/b", page(2), sync=False)

    def failing_fsync(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr("archiver.capture.writer.os.fsync", failing_fsync)
    with pytest.raises(StoreError, match="Input/output error"):
        writer.durable(b)
    monkeypatch.undo()
    with pytest.raises(StoreError, match="not written to disk"):
        writer.durable(a)  # the same file: not known to be on disk either
    c = write(writer, "https://example.com/c", page(3), sync=False)
    writer.durable(c)
    writer.close()
    assert c.file != a.file
    assert read_capture(tmp_path, c).body == page(3)


def test_thread_safety(tmp_path: Path) -> None:
    refs: dict[str, CaptureRef] = {}
    errors: list[BaseException] = []
    writer = WarcWriter(tmp_path, max_bytes=200_000)

    def work(t: int) -> None:
        try:
            for i in range(25):
                url = f"https://example.com/{t}/{i}"
                refs[url] = write(writer, url, f"{url} ".encode() * (50 + i * 7))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    writer.close()
    assert errors == []
    assert len(refs) == 200
    for url, ref in refs.items():
        assert read_capture(tmp_path, ref).body.startswith(url.encode())
    spans = sorted((r.file, r.offset, r.offset + r.length) for r in refs.values())
    for (f1, _, end), (f2, start, _) in itertools.pairwise(spans):
        assert f1 != f2 or end <= start
    assert {c.url for _, c in iter_captures(tmp_path)} == set(refs)


def test_file_names_never_come_from_urls(tmp_path: Path) -> None:
    root = tmp_path / "captures"
    hostile = [
        "https://example.com/../../../etc/passwd",
        "https://example.com/a/b/c.warc.gz?name=/tmp/x",
        "https://xn--e1afmkfd.xn--p1ai/%2e%2e%2f%2e%2e%2fescape",
        "file:///etc/passwd",
        "not-even-a-url",
    ]
    with WarcWriter(root, max_bytes=1) as writer:  # a new file for every capture
        refs = [write(writer, url, page(n)) for n, url in enumerate(hostile)]
    names = sorted(os.listdir(root))
    assert len(names) == len(hostile)
    assert all(NAME.match(name) for name in names)
    assert sorted(os.listdir(tmp_path)) == ["captures"]
    assert [read_capture(root, ref).url for ref in refs] == hostile


def test_prefix_and_ref_file_are_checked(tmp_path: Path) -> None:
    for bad in ("../x", "a/b", "", ".hidden"):
        with pytest.raises(ValueError):
            WarcWriter(tmp_path, prefix=bad)
    assert WarcWriter(tmp_path, prefix="tass-en_2").prefix == "tass-en_2"
    for name in ("../escape.warc.gz", "/etc/passwd", "sub/x.warc.gz", ""):
        with pytest.raises(StoreError):
            read_capture(tmp_path, CaptureRef(name, 0, 10, "<urn:uuid:x>", "sha1:X"))


def test_ref_to_another_record_is_refused(tmp_path: Path) -> None:
    with WarcWriter(tmp_path) as writer:
        a = write(writer, "https://example.com/a", page(1))
    wrong = CaptureRef(a.file, a.offset, a.length, "<urn:uuid:other>", a.payload_digest)
    with pytest.raises(StoreError):
        read_capture(tmp_path, wrong)
    with pytest.raises(StoreError):
        read_capture(tmp_path, CaptureRef(a.file, a.offset + 1, a.length, a.record_id, ""))
