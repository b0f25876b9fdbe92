"""Read commands on a read-only copy of an archive change nothing; `show` takes the link
people have; `archiver search` imports no extractor, feed parser, HTTP client, WARC or
Datasette module; backup, stats and add do what an operator and a fact-checker need."""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from archiver.cli import main
from archiver.store import Store
from test_e2e import FIXTURES, write_config

from sitefixture import Site, serve_site


@pytest.fixture(scope="module")
def polled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Site]]:
    """A polled archive (the e2e site), its config and the site still serving."""
    tmp = tmp_path_factory.mktemp("ops")
    with serve_site(FIXTURES) as site:
        config = write_config(tmp, site)
        result = CliRunner().invoke(main, ["poll", "--config", str(config)])
        assert result.exit_code == 0, result.output
        yield config, site


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def snapshot(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def read_only_copy(polled: tuple[Path, Site], dest: Path) -> Path:
    config, _ = polled
    shutil.copytree(config.parent / "var", dest / "var")
    shutil.copy(config, dest / "config.toml")
    for p in [dest / "var", *(dest / "var").rglob("*")]:
        p.chmod(p.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    return dest / "config.toml"


def test_read_commands_on_a_read_only_copy_change_no_byte(
    polled: tuple[Path, Site], tmp_path: Path
) -> None:
    config = read_only_copy(polled, tmp_path)
    _, site = polled
    before = snapshot(tmp_path / "var")
    assert not (tmp_path / "var" / "archive.db-wal").exists()  # the poller closed cleanly
    code, out, err = run("search", "walruses", "--format", "json", "--config", str(config))
    assert code == 0, err
    assert [h["url"] for h in json.loads(out)] == [site.url("/science/1788301")]
    code, out, err = run("show", site.url("/world/1250714"), "--config", str(config))
    assert code == 0 and "Azerbaijan" in out, err
    code, out, err = run("sources", "--format", "json", "--config", str(config))
    assert code == 0 and {r["name"] for r in json.loads(out)} >= {"tass-en", "reuters"}, err
    code, out, err = run("stats", "--format", "json", "--config", str(config))
    assert code == 0 and json.loads(out)["articles"] == 9, err
    assert snapshot(tmp_path / "var") == before  # not a byte changed, no file added


def test_a_read_only_mount_falls_back_to_immutable(
    polled: tuple[Path, Site], tmp_path: Path
) -> None:
    config = read_only_copy(polled, tmp_path)
    var = tmp_path / "var"
    var.chmod(0o755)
    (var / "archive.db-wal").write_bytes(b"")  # as a crashed writer leaves it...
    (var / "archive.db-shm").mkdir()  # ...where SQLite cannot open the WAL index
    code, out, err = run("search", "walruses", "--config", str(config))
    assert code == 0, err
    assert "walrus" in out.lower()


@pytest.mark.parametrize(
    "variant",
    [
        "{url}?utm_source=twitter&utm_medium=social",
        "{url}#comments",
        "{url}/",
        "HTTP://127.0.0.1:{port}/world/1250714",
    ],
)
def test_show_finds_the_story_from_the_link_people_have(
    polled: tuple[Path, Site], variant: str
) -> None:
    config, site = polled
    url = site.url("/world/1250714")
    port = url.split(":")[2].split("/")[0]
    code, out, err = run(
        "show", variant.format(url=url, port=port), "--format", "json", "--config", str(config)
    )
    assert code == 0, err
    assert json.loads(out)["url"] == url


def test_show_of_a_missing_story_is_exit_1_and_a_missing_archive_is_not_created(
    polled: tuple[Path, Site], tmp_path: Path
) -> None:
    config, site = polled
    code, _, err = run("show", site.url("/world/999"), "--config", str(config))
    assert code == 1 and "no article" in err
    empty = tmp_path / "config.toml"
    empty.write_text(config.read_text(encoding="utf-8"), encoding="utf-8")
    code, out, _ = run("sources", "--config", str(empty))
    assert code == 0 and "never polled" in out
    code, _, err = run("search", "x", "--config", str(empty))
    assert code != 0 and "no archive" in err
    assert not (tmp_path / "var").exists()


def test_an_archive_path_that_cannot_be_made_is_one_line(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[archive]\npath = "/proc/archiver-test/a.db"\n', encoding="utf-8")
    code, _, err = run("poll", "--config", str(config))
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "internal error" not in err and "/proc/archiver-test" in err


FORBIDDEN = (
    "archiver.extract",
    "trafilatura",
    "feedparser",
    "httpx",
    "warcio",
    "datasette",
    "sqlite_utils",  # and numpy through it: half a second of imports
)


def test_search_imports_no_extractor_http_client_feed_parser_warc_or_datasette(
    tmp_path: Path,
) -> None:
    config = tmp_path / "c.toml"
    config.write_text(
        '[archive]\npath = "a.db"\n[[rules]]\nname = "x"\ndomains = ["x.example"]\ntitle = "h1"\n',
        encoding="utf-8",
    )
    with Store(tmp_path / "a.db") as store:
        store.migrate()
    probe = (
        "import sys\n"
        "from archiver.cli import main\n"
        "try:\n"
        f"    main(['search', 'ceasefire', '--config', {str(config)!r}])\n"
        "except SystemExit as exc:\n"
        "    assert exc.code == 0, exc.code\n"
        "print('\\n'.join(sorted(sys.modules)))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
    )
    loaded = done.stdout.split()
    assert "archiver.search.engine" in loaded  # the probe did search
    assert [m for m in loaded if m.startswith(FORBIDDEN)] == []


def test_backup_of_a_live_archive_is_whole(polled: tuple[Path, Site], tmp_path: Path) -> None:
    config, _ = polled
    with Store(config.parent / "var" / "archive.db") as writer:  # a writer holds it open
        writer.conn.execute("SELECT 1")
        code, out, err = run("backup", str(tmp_path / "bk"), "--config", str(config))
    assert code == 0, err
    with Store(tmp_path / "bk" / "archive.db") as copy:
        assert copy.integrity_problems() == []
        assert copy.count_articles() == 9
    src = sorted(p.name for p in (config.parent / "var" / "captures").glob("*.warc.gz"))
    assert sorted(p.name for p in (tmp_path / "bk" / "captures").glob("*.warc.gz")) == src
    code, out, _ = run("backup", str(tmp_path / "bk"), "--config", str(config))
    assert code == 0 and f"{len(src)} already there" in out  # the second run copies no capture


def test_stats_counts_articles_per_source(polled: tuple[Path, Site]) -> None:
    config, _ = polled
    code, out, _ = run("stats", "--format", "json", "--config", str(config))
    record = json.loads(out)
    per_source = {s["name"]: s for s in record["sources"]}
    assert per_source["reuters"]["articles"] == 3 and per_source["reuters"]["last_7d"] == 3
    assert per_source["tass-en"]["last_success"] is not None
    assert sum(d["articles"] for d in record["per_day"]) == 9
    assert record["database_bytes"] > 0 and record["capture_bytes"] > 0
    code, out, _ = run("stats", "--config", str(config))
    assert code == 0 and "articles per day" in out


def test_add_archives_a_link_now(tmp_path: Path) -> None:
    with serve_site(FIXTURES) as site:
        config = write_config(tmp_path, site)
        url = site.url("/world/1250714") + "?utm_source=newsletter"
        code, out, err = run("add", url, "--config", str(config))
        assert code == 0, err
        assert out.startswith("new")
        code, out, _ = run("add", site.url("/nowhere/1"), "--config", str(config))
        assert code == 1 and "404" in out
    with sqlite3.connect(tmp_path / "var" / "archive.db") as conn:
        rows = conn.execute("SELECT url, source FROM articles").fetchall()
    assert rows == [(site.url("/world/1250714"), "added")]


def test_python_dash_m_archiver_is_the_command() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "archiver", "--help"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0 and "backup" in done.stdout and "stats" in done.stdout
