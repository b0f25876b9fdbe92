"""``archiver serve``: Datasette on the archive, read-only, on 127.0.0.1, with metadata."""

from __future__ import annotations

import json
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

from archiver.errors import StoreError
from archiver.models import Article
from archiver.search.sqlfunctions import NOTHING, match_expression
from archiver.serve.app import load_metadata, write_metadata
from archiver.store import Store

from search_helpers import build_archive
from serve_helpers import datasette, free_port, running, wait_until_up


def _titles(base: str, path: str) -> list[str]:
    response = httpx.get(base + path, timeout=10, follow_redirects=True)
    assert response.status_code == 200, response.text
    return [row["title"] for row in response.json()]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    tmp = tmp_path_factory.mktemp("serve")
    db = build_archive(tmp / "archive.db")
    with datasette(db, tmp) as base:
        yield base, db


def test_search_json_returns_the_matching_rows(served: tuple[str, Path]) -> None:
    base, _ = served
    assert sorted(_titles(base, "/archive/articles.json?_search=satellite&_shape=array")) == [
        "Satellite launch postponed over weather",
        "Space agency plans new missions",
    ]
    # the search box speaks archiver's language: title:, -word, phrases
    assert _titles(base, "/archive/articles.json?_search=title:satellite&_shape=array") == [
        "Satellite launch postponed over weather"
    ]
    assert _titles(base, "/archive/articles.json?_search=satellite+-launch&_shape=array") == [
        "Space agency plans new missions"
    ]


@pytest.mark.parametrize("typed", ['"', "NEAR(", "AND", "-", "(((", "title:", "🙂", "\x00"])
def test_search_box_never_errors(served: tuple[str, Path], typed: str) -> None:
    base, _ = served
    response = httpx.get(base + "/archive/articles.json", params={"_search": typed}, timeout=10)
    assert response.status_code == 200, response.text
    assert "rows" in response.json()


def test_newest_first_facets_and_truncation(served: tuple[str, Path]) -> None:
    base, _ = served
    data = httpx.get(base + "/archive/articles.json?_extra=facet_results", timeout=10).json()
    published = [r[data["columns"].index("published")] for r in data["rows"]]
    dated = [p for p in published if p]
    assert dated == sorted(dated, reverse=True) and len(dated) == 7
    facets = data["facet_results"]
    facets = facets.get("results", facets)
    assert {"source", "language", "published", "tags"} <= set(facets)
    sources = {v["value"]: v["count"] for v in facets["source"]["results"]}
    assert sources == {"tass-en": 3, "wire-en": 3, "tass-ru": 1, "xinhua-zh": 1}
    tags = {v["value"] for v in facets["tags"]["results"]}
    assert {"Azerbaijan", "space"} <= tags
    html = httpx.get(base + "/archive/articles", timeout=10).text
    assert 'name="_search"' in html  # the FTS table is wired: a search box
    assert "Articles" in html


def test_canned_queries(served: tuple[str, Path]) -> None:
    base, _ = served
    rows = httpx.get(
        base + "/archive/search_with_snippets.json",
        params={"q": "satellite", "_shape": "array"},
        timeout=10,
    ).json()
    assert rows[0]["title"] == "Satellite launch postponed over weather"
    assert "[satellite]" in rows[1]["snippet"]
    for q in ("", '"', "NEAR("):
        got = httpx.get(
            base + "/archive/search_with_snippets.json",
            params={"q": q, "_shape": "array"},
            timeout=10,
        )
        assert got.status_code == 200 and got.json() == []
    latest = httpx.get(
        base + "/archive/latest_per_source.json",
        params={"per_source": "1", "_shape": "array"},
        timeout=10,
    ).json()
    assert {r["source"]: r["title"][:9] for r in latest} == {
        "tass-en": "Space age",
        "tass-ru": "Урожай пш",
        "wire-en": "Breaking\x1b",
    }
    health = httpx.get(base + "/archive/source_health.json?_shape=array", timeout=10)
    assert health.status_code == 200 and health.json() == []  # no sources synced here
    for key in ("1", "https://tass.com/defense/1251234"):
        revisions = httpx.get(
            base + "/archive/article_revisions.json",
            params={"article": key, "_shape": "array"},
            timeout=10,
        ).json()
        assert [(r["article_id"], r["number"]) for r in revisions] == [(1, 1)]
    empty = httpx.get(base + "/archive/article_revisions.json?_shape=array", timeout=10)
    assert empty.status_code == 200 and empty.json() == []


def test_listens_on_loopback_only(served: tuple[str, Path]) -> None:
    base, _ = served
    port = int(base.rsplit(":", 1)[1])
    addresses = {str(info[4][0]) for info in socket.getaddrinfo(socket.gethostname(), None)}
    outside = [a for a in addresses if not a.startswith("127.") and a != "::1"]
    for address in outside:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        with socket.socket(family) as sock:
            sock.settimeout(1)
            assert sock.connect_ex((address, port)) != 0
    ss = subprocess.run(["ss", "-ltn"], capture_output=True, text=True, check=False)
    if ss.returncode == 0:
        listening = [
            line.split()[3]
            for line in ss.stdout.splitlines()[1:]
            if line.split()[3].endswith(f":{port}")
        ]
        assert listening == [f"127.0.0.1:{port}"]


def test_serve_is_read_only(served: tuple[str, Path]) -> None:
    base, db = served
    before = sqlite3.connect(db).execute("SELECT count(*) FROM articles").fetchone()[0]
    response = httpx.get(
        base + "/archive.json",
        params={"sql": "insert into articles (url, body) values ('x', 'y')"},
        timeout=10,
    )
    assert response.status_code == 400 or response.json().get("ok") is False
    after = sqlite3.connect(db).execute("SELECT count(*) FROM articles").fetchone()[0]
    assert after == before


@pytest.mark.slow
def test_sees_new_articles_while_the_daemon_writes(tmp_path: Path) -> None:
    db = build_archive(tmp_path / "live.db")
    store = Store(db)
    stop = threading.Event()
    errors: list[str] = []

    def writer() -> None:
        i = 0
        while not stop.is_set():
            store.save_article(
                Article(
                    url=f"https://live.test/{i}",
                    title=f"Zeppelin {i}",
                    body="zeppelin sighted " * 30,
                ),
                source="live",
            )
            i += 1

    with datasette(db, tmp_path) as base:
        thread = threading.Thread(target=writer)
        thread.start()
        try:
            seen = []
            for _ in range(40):
                r = httpx.get(
                    base + "/live/articles.json",
                    params={
                        "_search": "zeppelin",
                        "_shape": "array",
                        "_size": "max",
                        "_col": "title",
                    },
                    timeout=10,
                )
                if r.status_code != 200:
                    errors.append(r.text)
                else:
                    seen.append(len(r.json()))
                time.sleep(0.02)
        finally:
            stop.set()
            thread.join()
            store.close()
    assert errors == []
    assert seen[-1] > seen[0]  # new commits visible (WAL read, not immutable)


@pytest.mark.slow
def test_serve_function_runs_datasette(tmp_path: Path) -> None:
    db = build_archive(tmp_path / "my archive.db")  # a space in the path, a name not "archive"
    port = free_port()
    code = (
        "import sys; from pathlib import Path; from archiver.serve.app import serve; "
        f"sys.exit(serve(Path({str(db)!r}), port={port}))"
    )
    with running([sys.executable, "-c", code]) as proc:
        base = f"http://127.0.0.1:{port}"
        wait_until_up(base, proc)
        assert _titles(base, "/my+archive/articles.json?_search=cooperation&_shape=array")
        meta = httpx.get(base + "/-/metadata.json", timeout=10).json()
        assert (
            meta["databases"]["my archive"]["tables"]["articles"]["fts_table"] == "articles_search"
        )
        proc.terminate()
        assert proc.wait(timeout=10) == 0


def test_metadata(tmp_path: Path) -> None:
    meta = load_metadata("x", has_revisions=True)
    assert set(meta["databases"]) == {"x"}
    queries = meta["databases"]["x"]["queries"]
    assert {
        "search_with_snippets",
        "latest_per_source",
        "source_health",
        "article_revisions",
    } <= set(queries)
    db = build_archive(tmp_path / "a.db")
    written = json.loads(write_metadata(db, tmp_path / "m.json").read_text())
    assert "article_revisions" in written["databases"]["a"]["queries"]
    # an archive from before the revisions table: that canned query is left out, not broken
    old = tmp_path / "old.db"
    with sqlite3.connect(old) as conn:
        conn.execute("CREATE TABLE articles (id INTEGER PRIMARY KEY, url TEXT, body TEXT)")
    conn.close()
    written = json.loads(write_metadata(old, tmp_path / "m1.json").read_text())
    assert "article_revisions" not in written["databases"]["old"]["queries"]
    with pytest.raises(StoreError, match="no archive"):
        write_metadata(tmp_path / "missing.db", tmp_path / "m2.json")
    with sqlite3.connect(tmp_path / "other.db") as conn:
        conn.execute("CREATE TABLE t (x)")
    conn.close()
    with pytest.raises(StoreError, match="not an archiver archive"):
        write_metadata(tmp_path / "other.db", tmp_path / "m3.json")


def test_archiver_match() -> None:
    conn = sqlite3.connect(":memory:")
    assert match_expression(conn, "title:baku") == 'title : "baku"'
    assert match_expression(conn, '"') == NOTHING
    assert match_expression(conn, None) == NOTHING


def test_a_bad_request_logs_one_line_in_the_serve_terminal(tmp_path: Path) -> None:
    db = build_archive(tmp_path / "archive.db")
    log = tmp_path / "serve.log"
    with datasette(db, tmp_path, log) as base:
        before = log.read_text(encoding="utf-8", errors="replace").splitlines()
        response = httpx.get(base + "/archive/articles?_sort=nope", timeout=10)
        assert response.status_code == 400
        assert "Cannot sort table by nope" in response.text
        assert "<h1>" in response.text and "Traceback" not in response.text
        # the log line is written before the response is sent
        after = log.read_text(encoding="utf-8", errors="replace").splitlines()
    new = [line for line in after[len(before) :] if "GET /archive/articles" not in line]
    assert len(new) == 1, new
    record = json.loads(new[0])  # stdout is not a terminal: JSON lines
    assert record["msg"] == "serve error" and record["status"] == 400
    assert record["path"] == "/archive/articles" and "nope" in record["error"]
