"""Start ``archiver.serve.app`` as a subprocess on 127.0.0.1 and wait until it answers."""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from archiver.serve.app import build_datasette_argv, write_metadata


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(base: str, proc: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"datasette exited with {proc.returncode}")
        try:
            if httpx.get(base + "/-/versions.json", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError("datasette did not start in time")


@contextmanager
def running(argv: list[str], log_path: Path | None = None) -> Iterator[subprocess.Popen[bytes]]:
    # the log goes to a file: an unread pipe would fill up and stall the server
    with open(log_path, "wb") if log_path else tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        try:
            yield proc
        finally:
            _stop(proc)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    try:
        proc.terminate()
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@contextmanager
def datasette(
    db_path: Path, tmp_path: Path, log_path: Path | None = None, captures: Path | None = None
) -> Iterator[str]:
    """Datasette on ``db_path``, set up as ``archiver serve`` does; yields its base URL.
    With ``log_path`` its terminal output (stdout and stderr) is written there."""
    port = free_port()
    metadata = write_metadata(db_path, tmp_path / "metadata.json", captures)
    argv = build_datasette_argv(db_path, metadata, port=port, python=sys.executable)
    with running(argv, log_path) as proc:
        base = f"http://127.0.0.1:{port}"
        wait_until_up(base, proc)
        yield base


def in_process(db_path: Path, captures: Path | None = None) -> Any:
    """Datasette on ``db_path`` in this process, set up as ``archiver serve`` sets it up
    (metadata, settings, archiver's plugin); use ``await ds.client.get(...)``."""
    from datasette.app import Datasette

    from archiver.serve.app import SETTINGS, load_metadata, register_plugin

    register_plugin()
    metadata = load_metadata(db_path.stem, captures=captures)
    return Datasette([str(db_path)], metadata=metadata, settings=typed_settings(SETTINGS))


def typed_settings(settings: dict[str, int | str]) -> dict[str, int | str | bool]:
    """``SETTINGS`` as Datasette's command line reads them (``off`` is False, not a string)."""
    words = {"on": True, "off": False}
    return {k: words.get(v, v) if isinstance(v, str) else v for k, v in settings.items()}


def build_reading_room(path: Path) -> Path:
    """The search/serve archive (``search_helpers.STORIES``) plus what the reading room shows:
    the seed story (id 1) with a dateline, byline, an alias URL and two later versions, each
    captured in ``captures/`` beside the database (the near-duplicate from another wire, id 2,
    is in its cluster), and sources in every health state with their fetch log."""
    from dataclasses import replace
    from datetime import timedelta

    from archiver.capture.writer import WarcWriter
    from archiver.config import SourceConfig
    from archiver.models import Article, Dateline, RequestRecord
    from archiver.store import Store

    from search_helpers import SEED_BODY, SEED_LEAD, STORIES, Story, build_archive, when

    build_archive(path)
    seed: Story = STORIES[0]
    first = Article(
        url=seed.url,
        title=seed.title,
        lead=SEED_LEAD,
        body=SEED_BODY,
        dateline=Dateline("BAKU, January 30. /TASS/.", "BAKU", "January 30", "TASS"),
        published=seed.published,
        published_from="jsonld",
        authors=("Anna Petrova",),
        tags=seed.tags,
        language="en",
        agency="TASS",
        site_name="TASS",
    )
    later = replace(
        first,
        title=seed.title + " in Baku",
        body=SEED_BODY.replace("have discussed", "discussed on Saturday", 1),
        updated=when("2021-01-30T12:40:00"),
        updated_from="meta",
    )
    latest = replace(
        later,
        body=later.body.replace("holding joint drills", "holding more joint drills", 1),
        updated=when("2021-01-31T08:05:00"),
    )
    with Store(path) as store, WarcWriter(captures_of(path)) as warc:
        base = seed.published or when("2021-01-30T09:12:00")
        versions = (
            (first, seed.url, base),
            (later, "https://tass.com/world/1251234", base + timedelta(hours=4)),
            (latest, seed.url, base + timedelta(days=1)),
        )
        for article, fetched, seen in versions:
            page = "".join(f"<p>{p}</p>" for p in article.body.split("\n\n"))
            ref = warc.write(
                fetched,
                request_headers=[("User-Agent", "archiver-test")],
                status=200,
                response_headers=[("Content-Type", "text/html; charset=windows-1251")],
                body=f"<html><h1>{article.title}</h1>{page}</html>".encode("cp1251", "replace"),
                fetched_at=seen,
                source="tass-en",
            )
            store.save_article(
                article, source="tass-en", fetched_url=fetched, seen_at=seen, capture=ref
            )
        now = when("2022-06-01T12:00:00")
        store.sync_sources(
            [
                SourceConfig("tass-en", "feed", "https://tass.com/rss/v2.xml"),
                SourceConfig("wire-en", "sitemap", "https://www.example-wire.com/news.xml"),
                SourceConfig("tass-ru", "feed", "https://tass.ru/rss/v2.xml"),
                SourceConfig("xinhua-zh", "page", "https://www.example-xinhua.cn/", links="/2022/"),
            ],
            now,
        )
        ok_at = now - timedelta(minutes=3)
        store.record_poll(
            "tass-en", outcome="ok", polled_at=ok_at, next_check=now + timedelta(minutes=12)
        )
        store.record_fetches("tass-en", [RequestRecord(str(seed.url), ok_at, 200, 5120, 80)])
        store.record_fetches(
            "wire-en",
            [
                RequestRecord(
                    "https://www.example-wire.com/news.xml", now - timedelta(days=2), 200, 900, 50
                )
            ],
        )
        for hours in (5, 3, 1):
            at = now - timedelta(hours=hours)
            error = "timeout: no answer from www.example-wire.com within 30 s"
            store.record_poll(
                "wire-en",
                outcome="failed",
                polled_at=at,
                next_check=now + timedelta(hours=2),
                error=error,
            )
            store.record_fetches(
                "wire-en",
                [RequestRecord("https://www.example-wire.com/news.xml", at, None, 0, 30000, error)],
            )
        store.record_poll(
            "xinhua-zh",
            outcome="blocked",
            polled_at=now - timedelta(hours=1),
            next_check=now + timedelta(hours=6),
            error="robots.txt disallows https://www.example-xinhua.cn/",
        )
    return path


def captures_of(db_path: Path) -> Path:
    """Where ``build_reading_room`` keeps the captures of ``db_path``."""
    return db_path.parent / "captures"
