"""``archiver backup DEST``: a consistent copy of a live archive and its captures.

The database is copied with SQLite's online backup API from a read-only connection: the copy
is one consistent snapshot (every transaction committed when the copy ended, none half), even
while the daemon writes; it lands as ``archive.db.part`` and is renamed into place when whole.
The capture files are copied after it: a row in the copy points only at records fsynced before
it committed, so every record it names is in the files copied (a record being appended at the
moment may end torn in the copy; the next start cuts it off). A capture file already in DEST at
its full size is not copied again, so a nightly backup copies only what is new.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from archiver.errors import StoreError
from archiver.store.readonly import open_readonly

PAGES_PER_STEP = 1024
CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class BackupReport:
    database: Path
    database_bytes: int
    captures_copied: int
    captures_kept: int  # already in DEST at their full size
    capture_bytes: int  # bytes copied this time


def backup(
    db_path: Path,
    captures: Path,
    dest: Path,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> BackupReport:
    """Copy the archive at ``db_path`` and the WARC files under ``captures`` into ``dest``."""
    dest = Path(dest)
    inside = Path(captures).resolve()
    if dest.resolve() == Path(db_path).resolve().parent or inside in (
        dest.resolve(),
        *dest.resolve().parents,
    ):
        raise StoreError(f"{dest}: the backup must go somewhere else than the archive itself")
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreError(f"{dest}: cannot create the backup folder: {exc.strerror}") from None
    target = dest / Path(db_path).name
    part = target.with_name(target.name + ".part")
    source = open_readonly(Path(db_path))
    try:
        part.unlink(missing_ok=True)
        copy = sqlite3.connect(part)
        try:
            source.backup(
                copy,
                pages=PAGES_PER_STEP,
                progress=(lambda _s, left, total: progress(total - left, total))
                if progress
                else None,
            )
            copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
        finally:
            copy.close()
        os.replace(part, target)
    except (sqlite3.Error, OSError) as exc:
        part.unlink(missing_ok=True)
        raise StoreError(f"backup of {db_path} to {target} failed: {exc}") from None
    finally:
        source.close()
    copied = kept = copied_bytes = 0
    root = Path(captures)
    files = sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else []
    for file in files:
        out = dest / "captures" / file.relative_to(root)
        size = file.stat().st_size
        if out.is_file() and out.stat().st_size == size:
            kept += 1
            continue
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            _copy_prefix(file, out, size)
        except OSError as exc:
            raise StoreError(f"cannot copy {file} to {out}: {exc.strerror}") from None
        copied += 1
        copied_bytes += size
    return BackupReport(
        database=target,
        database_bytes=target.stat().st_size,
        captures_copied=copied,
        captures_kept=kept,
        capture_bytes=copied_bytes,
    )


def _copy_prefix(src: Path, dst: Path, size: int) -> None:
    """The first ``size`` bytes of ``src`` (a file being appended to) as ``dst``, whole."""
    part = dst.with_name(dst.name + ".part")
    with src.open("rb") as fin, part.open("wb") as fout:
        left = size
        while left > 0:
            chunk = fin.read(min(CHUNK, left))
            if not chunk:
                break
            fout.write(chunk)
            left -= len(chunk)
        fout.flush()
        os.fsync(fout.fileno())
    shutil.copystat(src, part)
    os.replace(part, dst)
