"""End to end: a local server holding a TASS-style feed, a Reuters-style news sitemap and an
AP-style section page with 9 articles between them; `archiver poll`, `search`, `show`,
`sources`, `extract` through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from archiver.cli import main
from archiver.store import Store

from sitefixture import Site

FIXTURES = Path(__file__).parent / "fixtures" / "site"
FEED = "/rss/v2.xml"
SITEMAP = "/arc/outboundfeeds/news-sitemap/"
SECTION = "/hub/world-news"
ARTICLES = {
    # path -> a word of its body that no other page has
    "/economy/1788342": None,
    "/science/1788301": None,
    "/world/1250714": None,
    "/world/europe/dutch-windmill-owners-struggle-to-find-apprentices-2024-05-16/": None,
    "/world/africa/kenya-tea-prices-climb-at-weekly-auction-2024-05-16/": None,
    "/business/energy/norway-opens-bidding-for-offshore-wind-area-2024-05-16/": None,
    "/article/peru-andes-alpaca-shearing-festival-9c7d2e81f04b4a6d8e3f5a0b7c1d2e3f": None,
    "/article/vermont-maple-syrup-season-record-5b0e1d6c3f2a48e7a9d4c0b1e2f3a4b5": None,
    "/article/japan-lighthouse-keepers-museum-opens-0f1e2d3c4b5a69788796a5b4c3d2e1f0": None,
}


def write_config(tmp_path: Path, site: Site, extra: str = "") -> Path:
    config = tmp_path / "config.toml"
    config.write_text(
        f"""
[archive]
path = "var/archive.db"
captures = "var/captures"

[http]
allow_private = true     # the test server is on 127.0.0.1
delay = 0
timeout = 10

[[sources]]
name = "tass-en"
kind = "feed"
url = "{site.url(FEED)}"
every = "5m"

[[sources]]
name = "reuters"
kind = "sitemap"
url = "{site.url(SITEMAP)}?outputType=xml"
every = "10m"

[[sources]]
name = "ap-world"
kind = "page"
url = "{site.url(SECTION)}"
links = '/article/[a-z0-9-]+-[0-9a-f]{{32}}$'
every = "15m"
{extra}
""",
        encoding="utf-8",
    )
    return config


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def article_hits(site: Site) -> int:
    return sum(
        site.requests[p.rstrip("/")] + site.requests[p] if p.endswith("/") else site.requests[p]
        for p in ARTICLES
    )


def test_poll_archives_all_nine_then_nothing_new(tmp_path: Path, site: Site) -> None:
    config = write_config(tmp_path, site)
    code, _out, err = run("poll", "--config", str(config))
    assert code == 0, err
    with Store(tmp_path / "var" / "archive.db") as store:
        assert store.count_articles() == 9
        assert store.count_articles("tass-en") == 3
        assert store.count_articles("reuters") == 3
        assert store.count_articles("ap-world") == 3
        urls = {r[0] for r in store.conn.execute("SELECT url FROM articles")}
        assert store.integrity_problems() == []
    assert urls == {site.url(p) for p in ARTICLES}
    fetched_once = article_hits(site)
    assert fetched_once == 9

    code, _, err = run("poll", "--config", str(config))
    assert code == 0, err
    with Store(tmp_path / "var" / "archive.db") as store:
        assert store.count_articles() == 9
        outcomes = {r.name: r.last_outcome for r in store.sources_health()}
    assert outcomes == {
        "tass-en": "not_modified",
        "reuters": "not_modified",
        "ap-world": "not_modified",
    }
    assert article_hits(site) == fetched_once  # no article page fetched again
    statuses = [status for method, path, status in site.log if path.startswith(FEED)]
    assert statuses == [200, 304]


def test_search_show_and_sources_after_a_poll(tmp_path: Path, site: Site) -> None:
    config = write_config(tmp_path, site)
    assert run("poll", "--config", str(config))[0] == 0

    code, out, _ = run("search", "walruses", "--format", "json", "--config", str(config))
    assert code == 0
    hits = json.loads(out)
    assert [h["url"] for h in hits] == [site.url("/science/1788301")]
    assert set(hits[0]) >= {"id", "url", "source", "title", "published", "snippet"}
    assert hits[0]["source"] == "tass-en"

    code, out, _ = run(
        "show", site.url("/world/1250714"), "--format", "json", "--config", str(config)
    )
    assert code == 0
    record = json.loads(out)
    assert record["title"] == "Azerbaijan, Turkey discuss military-technical cooperation"
    assert record["dateline_place"] == "BAKU" and record["dateline_agency"] == "TASS"
    assert record["body"].startswith("BAKU, January 30. /TASS/.")
    assert record["published"].startswith("2021-01-30")

    code, out, _ = run("show", str(record["id"]), "--config", str(config))
    assert code == 0 and "Azerbaijan, Turkey discuss" in out and "[body]" in out

    code, out, _ = run("sources", "--format", "json", "--config", str(config))
    assert code == 0
    health = {r["name"]: r for r in json.loads(out)}
    assert {r["status"] for r in health.values()} == {"ok"}
    assert health["reuters"]["articles"] == 3 and health["reuters"]["error_count"] == 0

    code, out, _ = run("sources", "--config", str(config))
    assert code == 0 and "tass-en" in out and "status" in out


def test_a_failing_article_is_recorded_skipped_and_retried(tmp_path: Path, site: Site) -> None:
    config = write_config(tmp_path, site)
    site.delete("/science/1788301")
    code, _, err = run("poll", "tass-en", "--config", str(config))
    assert code == 0, err
    with Store(tmp_path / "var" / "archive.db") as store:
        assert store.count_articles() == 2
        failure = store.conn.execute("SELECT url, attempts, error FROM failures").fetchone()
        assert failure["url"] == site.url("/science/1788301") and "404" in failure["error"]
        logged = store.conn.execute(
            "SELECT status FROM fetches WHERE url = ?", (site.url("/science/1788301"),)
        ).fetchall()
        assert [r[0] for r in logged] == [404]
    site.put("/science/1788301", (FIXTURES / "science" / "1788301.html").read_bytes())
    assert run("poll", "tass-en", "--config", str(config))[0] == 0
    with Store(tmp_path / "var" / "archive.db") as store:
        assert store.count_articles() == 3  # the listing was read again, the page retried
        assert store.conn.execute("SELECT count(*) FROM failures").fetchone()[0] == 0


def test_a_failing_source_is_recorded_and_the_exit_code_says_so(tmp_path: Path, site: Site) -> None:
    config = write_config(
        tmp_path,
        site,
        f"""
[[sources]]
name = "gone"
kind = "feed"
url = "{site.url("/rss/missing.xml")}"
""",
    )
    code, out, _ = run("poll", "--config", str(config))
    assert code == 1
    assert "gone" in out and "failed" in out
    code, out, _ = run("sources", "--format", "json", "--config", str(config))
    health = {r["name"]: r for r in json.loads(out)}
    assert health["gone"]["status"] == "failing"
    assert health["gone"]["error_count"] == 1 and "404" in health["gone"]["last_error"]
    assert health["tass-en"]["articles"] == 3  # the others were archived all the same


def test_private_addresses_are_refused_by_default(tmp_path: Path, site: Site) -> None:
    config = write_config(tmp_path, site)
    text = config.read_text(encoding="utf-8").replace(
        "allow_private = true", "allow_private = false"
    )
    config.write_text(text, encoding="utf-8")
    code, _, _ = run("poll", "tass-en", "--config", str(config))
    assert code == 1
    assert sum(site.requests.values()) == 0  # refused before any request was made
    code, out, _ = run("sources", "--format", "json", "--config", str(config))
    health = {r["name"]: r for r in json.loads(out)}
    assert "private address" in health["tass-en"]["last_error"]


def test_extract_command_prints_every_field(tmp_path: Path) -> None:
    page = FIXTURES / "world" / "1250714.html"
    code, out, _ = run(
        "extract", str(page), "--url", "https://tass.com/world/1250714", "--format", "json"
    )
    assert code == 0
    record = json.loads(out)
    assert record["title"] == "Azerbaijan, Turkey discuss military-technical cooperation"
    assert record["dateline"] == {
        "text": "BAKU, January 30. /TASS/.",
        "place": "BAKU",
        "date": "January 30",
        "agency": "TASS",
    }
    code, out, _ = run("extract", str(page), "--url", "https://tass.com/world/1250714")
    assert code == 0 and "BAKU / January 30 / TASS" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["search", "x", "--config", "/nonexistent/c.toml"], "no such config file"),
        (["show", "https://nowhere.example/1"], "no archive"),
        (["poll", "nosuch"], "no source named 'nosuch'"),
        (["extract", "/nonexistent.html"], "does not exist"),
    ],
)
def test_bad_input_is_one_line_and_non_zero(
    tmp_path: Path, site: Site, args: list[str], message: str
) -> None:
    config = write_config(tmp_path, site)
    if "--config" not in args and args[0] != "extract":
        args = [*args, "--config", str(config)]
    code, _out, err = run(*args)
    assert code != 0
    assert message in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
