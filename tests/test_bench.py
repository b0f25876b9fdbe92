"""Every benchmark in bench/ runs at a tiny size and prints its figures next to its peer's.

Only that they run and report: the figures themselves are measured by ``make bench`` on a
quiet machine, never asserted here.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
CORPUS = ROOT.parent / "shared" / "corpus" / "manifest.jsonl"
NUMBER = r"[\d.]+"


def run(script: str, *args: str) -> str:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), *sys.path])}
    done = subprocess.run(
        [sys.executable, str(BENCH / script), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_every_bench_script_has_a_smoke_run_here() -> None:
    smoked = {"capture_size.py", "dedup.py", "extract.py", "hostile.py", "poll.py", "search.py"}
    smoked |= {"footprint.py", "heldout.py", "ingest.py", "pg.py", "serve.py"}
    smoked |= {"search_heldout.py", "profile_poll.py", "language.py"}
    assert {p.name for p in BENCH.glob("*.py")} == smoked


def test_capture_size() -> None:
    figures = json.loads(run("capture_size.py", "--articles", "10", "--revisits", "1"))
    synthetic = figures["synthetic"]
    assert synthetic["articles"] == 10 and synthetic["fetches"] == 20
    assert synthetic["full_records"] + synthetic["revisit_records"] == 20
    assert 0 < synthetic["ratio_warc_to_all_fetched_html"] < 1


@pytest.mark.slow
def test_dedup() -> None:
    out = run("dedup.py", "--n", "200")
    for row in (
        "archiver: exact duplicates -> alias",
        "archiver: near-duplicates -> story cluster",
        "peer: URL-only dedup, exact duplicates",
    ):
        assert re.search(rf"{re.escape(row)}\s+{NUMBER}\s+{NUMBER}", out), (row, out)
    assert re.search(r"archiver: dedup \+ store \(save_article\)\s+\d+", out), out
    assert re.search(r"bare: INSERT \+ FTS triggers, same schema\s+\d+", out), out


@pytest.mark.slow
def test_search() -> None:
    out = run("search.py", "--n", "200", "--runs", "2")
    assert re.search(r"load: 200 articles at [\d,]+ articles/s", out), out
    for query in ("common word", "rare word", "phrase", "title word"):
        assert re.search(rf"^{query}.*x\s*$", out, re.M), (query, out)


@pytest.mark.slow
def test_poll() -> None:
    out = run("poll.py", "--sources", "4", "--items", "2", "--rounds", "2")
    rows = re.findall(
        r"^(archiver|bare \S+)\s+(first|steady 1)\s+(\d+)\s+(\d+).*\s(\d+)\s+\d+MB$", out, re.M
    )
    assert {(name.split()[0], label) for name, label, *_ in rows} == {
        ("archiver", "first"),
        ("archiver", "steady 1"),
        ("bare", "first"),
        ("bare", "steady 1"),
    }, out
    # the first round: both pollers fetch 4 feeds and 8 stories and archive all 8
    firsts = [(int(requests), int(new)) for _, label, requests, _, new in rows if label == "first"]
    assert firsts == [(12, 8), (12, 8)], out


@pytest.mark.slow
@pytest.mark.corpus
@pytest.mark.skipif(not CORPUS.exists(), reason="../shared/corpus is absent")
def test_extract() -> None:
    out = run("extract.py", "--rounds", "1", "--n", "4")
    assert re.search(rf"all corpus pages\s+4\s+{NUMBER}\s+{NUMBER}\s+{NUMBER}x", out), out
    assert "site-rule pages" in out


def test_hostile() -> None:
    # the peer is another src/ tree; this tree against itself is enough to see it run
    out = run("hostile.py", "--peer", str(ROOT / "src"), "--only", "gzip300", "--limit", "120")
    rows = re.findall(rf"^(this|peer)\tgzip300\t{NUMBER} s\t\d+ MB\t(.+)$", out, re.M)
    assert [label for label, _ in rows] == ["this", "peer"], out
    assert all("stopped past 15 MiB" in result for _, result in rows), out


@pytest.mark.slow
def test_serve() -> None:
    out = run("serve.py", "--n", "200", "--runs", "2")
    assert re.search(rf"^landing view\s+{NUMBER}\s+{NUMBER}\s+Datasette table", out, re.M), out
    assert len(re.findall(r"Datasette \?_search", out)) == 4, out


@pytest.mark.slow
def test_footprint() -> None:
    # this tree against itself; the figures are measured by make bench
    out = run("footprint.py", "--seconds", "3", "--src", str(ROOT / "src"))
    assert re.search(rf"^\| {re.escape(str(ROOT / 'src'))} \| {NUMBER} MB \|", out, re.M), out


@pytest.mark.corpus
@pytest.mark.skipif(not CORPUS.exists(), reason="../shared/corpus is absent")
def test_language() -> None:
    out = run("language.py", "--limit", "6")
    assert re.search(rf"^\| archiver \| {NUMBER} \(\d+/\d+\) \|", out, re.M), out
    assert re.search(r"^\| py3langid \| ", out, re.M), out


@pytest.mark.slow
@pytest.mark.corpus
@pytest.mark.skipif(not CORPUS.exists(), reason="../shared/corpus is absent")
def test_ingest() -> None:
    out = run("ingest.py", "--workers", "0")
    assert re.search(rf"^\| bare extract\(\) \| - \| {NUMBER} \| 1\.00x", out, re.M), out
    assert re.search(r"^\| archiver poll \| 0 \|", out, re.M), out
    assert re.search(r"^\| archiver reextract \| 0 \|", out, re.M), out


@pytest.mark.slow
@pytest.mark.corpus
@pytest.mark.skipif(not CORPUS.exists(), reason="../shared/corpus is absent")
def test_profile_poll() -> None:
    src = str(ROOT / "src")
    out = run("profile_poll.py", "--limit", "3", "--workers", "1", "--src", src)
    assert re.search(rf"^\| {re.escape(src)} \(0\) \| 3 \| {NUMBER} \|", out, re.M), out


@pytest.mark.slow
@pytest.mark.skipif(
    not list(Path("/usr/lib/postgresql").glob("*/bin/initdb")), reason="no PostgreSQL server here"
)
def test_pg() -> None:
    out = run("pg.py", "--hosts", "2", "--per-host", "2", "--delay", "0", "--search-n", "0")
    assert re.search(r"PostgreSQL 2 daemon\(s\): 4/4 in", out), out
    assert re.search(r"SQLite +2 daemon\(s\): 4/4 in", out), out
    assert re.search(r"kill -9 of 1 of 2 PostgreSQL daemons .* lost 0, archived twice 0", out), out


@pytest.mark.slow
@pytest.mark.skipif(
    not list(Path("/usr/lib/postgresql").glob("*/bin/initdb")), reason="no PostgreSQL server here"
)
def test_search_on_postgresql() -> None:
    out = run("search.py", "--n", "200", "--runs", "2", "--pg", "--pg-only")
    assert re.search(r"archiver copy of the 200 articles in [\d.]+ s = \d+ articles/s", out), out
    for query in ("common word", "rare word", "phrase", "title word"):
        assert re.search(rf"^{query}.*x\s+True$", out, re.M), (query, out)


def test_pg_without_a_server_is_a_skip_line_not_a_failure(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import importlib.util

    import pgcluster

    monkeypatch.setattr(pgcluster, "BIN_DIRS", [])  # no PostgreSQL installed
    monkeypatch.setattr(sys, "argv", ["pg.py"])
    spec = importlib.util.spec_from_file_location("bench_pg", BENCH / "pg.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.main() == 0
    out = capsys.readouterr().out
    assert out.startswith("bench/pg.py: skipped, no PostgreSQL server can be started here:")
    assert "not installed" in out


def test_make_bench_runs_pg_and_the_search_comparison() -> None:
    recipe = (ROOT / "Makefile").read_text(encoding="utf-8").split("\nbench:", 1)[1]
    recipe = recipe.split("\n\n", 1)[0]
    assert "bench/pg.py" in recipe
    assert "bench/search.py --n 100000 --pg" in recipe


def test_heldout(tmp_path: Path) -> None:
    # the held-out sets are other projects' checkouts, read where they are; here, two pages
    # of our own fixtures laid out as the article-extraction-benchmark lays out its pages
    import gzip

    pages = ROOT / "tests" / "fixtures" / "pages"
    (tmp_path / "html").mkdir()
    truth = {}
    for name in ("anadolu-article", "tass-com-seed"):
        expected = json.loads((pages / f"{name}.json").read_text(encoding="utf-8"))
        truth[name] = {"url": expected["url"], "articleBody": expected["body"]}
        html = (pages / f"{name}.html").read_bytes()
        (tmp_path / "html" / f"{name}.html.gz").write_bytes(gzip.compress(html))
    (tmp_path / "ground-truth.json").write_text(json.dumps(truth), encoding="utf-8")
    out = run("heldout.py", "--aeb", str(tmp_path), "--extractor", "archiver,trafilatura")
    assert re.search(rf"^aeb\s+archiver\s+2\s+{NUMBER}\s+{NUMBER}", out, re.M), out
    assert re.search(rf"^aeb\s+trafilatura\s+2\s+{NUMBER}\s+{NUMBER}", out, re.M), out


def test_search_heldout(tmp_path: Path) -> None:
    # fundus is another project's checkout, read where it is; here, two pages of our own
    # fixtures laid out as fundus lays out its test data
    import gzip

    pages = ROOT / "tests" / "fixtures" / "pages"
    data = tmp_path / "tests" / "resources" / "parser" / "test_data" / "xx"
    data.mkdir(parents=True)
    versions, meta = {}, {}
    for i, name in enumerate(("anadolu-article", "tass-com-seed"), start=1):
        expected = json.loads((pages / f"{name}.json").read_text(encoding="utf-8"))
        html = f"Wire_2024_01_0{i}.html.gz"
        (data / html).write_bytes(gzip.compress((pages / f"{name}.html").read_bytes()))
        versions[f"V{i}"] = {"title": expected["title"]}
        meta[html] = {"url": expected["url"]}
    (data / "Wire.json").write_text(json.dumps(versions), encoding="utf-8")
    (data / "meta.info").write_text(json.dumps(meta), encoding="utf-8")
    out = run("search_heldout.py", "--fundus", str(tmp_path), "--per-language", "2")
    assert re.search(rf"^exact/all\s+\d+\s+R {NUMBER} P {NUMBER}", out, re.M), out
