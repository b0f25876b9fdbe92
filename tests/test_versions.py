"""One story, one entry, every version: revisions when a story is edited, aliases when the
same page answers at two URLs, near-duplicate clusters, revisit ladder, WARC captures and
re-extraction from them — end to end against a local server."""

from __future__ import annotations

import json
import time
from pathlib import Path

from click.testing import CliRunner

from archiver.capture import capture_files, iter_captures, read_capture
from archiver.cli import main
from archiver.store import Store

from sitefixture import Site

FIXTURES = Path(__file__).parent / "fixtures" / "site"
SITEMAP = "/arc/outboundfeeds/news-sitemap/"
WINDMILL = "/world/europe/dutch-windmill-owners-struggle-to-find-apprentices-2024-05-16/"
WINDMILL_FILE = FIXTURES / WINDMILL.strip("/") / "index.html"
SITEMAP_FILE = FIXTURES / "arc" / "outboundfeeds" / "news-sitemap" / "index.xml"
EDIT = "Several provinces have started paying part of the training costs"
EDITED = (
    "UPDATE: The Dutch government said late on Thursday it would fund forty extra "
    "apprenticeships from September. Several provinces have started paying part of "
    "the training costs"
)


def config_for(tmp_path: Path, site: Site, *, revisit: str = "[]", extra: str = "") -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f"""
[archive]
path = "archive.db"
captures = "captures"
[http]
allow_private = true
delay = 0
timeout = 10
[[sources]]
name = "reuters"
kind = "sitemap"
url = "{site.url(SITEMAP)}"
revisit = {revisit}
{extra}
""",
        encoding="utf-8",
    )
    return path


def cli(*args: str) -> str:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def edit_windmill(site: Site) -> None:
    page = WINDMILL_FILE.read_text(encoding="utf-8")
    assert EDIT in page
    site.put(WINDMILL, page.replace(EDIT, EDITED).encode("utf-8"))


def bump_lastmod(site: Site) -> None:
    sitemap = SITEMAP_FILE.read_text(encoding="utf-8")
    site.put(
        SITEMAP,
        sitemap.replace("2024-05-16T10:31:12.000Z", "2024-05-16T18:05:00.000Z").encode("utf-8"),
        "application/xml",
    )


def test_newer_lastmod_and_changed_text_make_a_second_revision(tmp_path: Path, site: Site) -> None:
    config = config_for(tmp_path, site)
    cli("poll", "--config", str(config))
    edit_windmill(site)
    cli("poll", "--config", str(config))  # listing unchanged (304): nothing refetched
    assert site.requests[WINDMILL] == 1
    bump_lastmod(site)
    cli("poll", "--config", str(config))
    assert site.requests[WINDMILL] == 2

    shown = json.loads(
        cli("show", site.url(WINDMILL), "--revisions", "--format", "json", "--config", str(config))
    )
    assert [r["number"] for r in shown["revisions"]] == [1, 2]
    assert shown["revisions"][1]["changed"] == ["body"]
    assert EDITED in shown["body"]  # the row shows the latest
    assert EDITED not in shown["revisions"][0]["body"]  # the first version is kept
    assert shown["revision_count"] == 2 and shown["first_seen"] <= shown["last_seen"]
    with Store(tmp_path / "archive.db") as store:
        assert store.count_articles() == 3

    text = cli("show", site.url(WINDMILL), "--diff", "--config", str(config))
    assert "+UPDATE: The Dutch government said" in text
    assert "-Several provinces have started" in text


def test_unchanged_refetch_adds_no_revision_and_a_revisit_record(
    tmp_path: Path, site: Site
) -> None:
    config = config_for(tmp_path, site)
    cli("poll", "--config", str(config))
    bump_lastmod(site)  # the listing says it changed, the page did not
    cli("poll", "--config", str(config))
    assert site.requests[WINDMILL] == 2
    shown = json.loads(
        cli("show", site.url(WINDMILL), "--revisions", "--format", "json", "--config", str(config))
    )
    assert len(shown["revisions"]) == 1
    records = [
        ref for ref, resp in iter_captures(tmp_path / "captures") if resp.url == site.url(WINDMILL)
    ]
    assert [r.revisit for r in records] == [False, True]


def test_same_page_at_a_second_url_is_an_alias_not_a_new_article(
    tmp_path: Path, site: Site
) -> None:
    mirror = "/world/europe/windmill-apprentices-mirror/"
    site.put(mirror, WINDMILL_FILE.read_bytes())
    feed = f"""<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
<item><title>Windmills</title><link>{site.url(mirror)}?utm_source=rss</link></item>
</channel></rss>""".encode()
    site.put("/mirror.rss", feed, "application/rss+xml")
    config = config_for(
        tmp_path,
        site,
        extra=f"""
[[sources]]
name = "mirror"
url = "{site.url("/mirror.rss")}"
""",
    )
    cli("poll", "reuters", "--config", str(config))
    cli("poll", "mirror", "--config", str(config))
    with Store(tmp_path / "archive.db") as store:
        assert store.count_articles() == 3
        article = store.get_article(site.url(WINDMILL))
        urls = {u.url: u.kind for u in store.article_urls(article["id"])}
    # the page's canonical link points at the original: the mirror is kept as fetched
    assert urls[site.url(WINDMILL)] == "canonical"
    assert site.url(mirror) in urls
    assert all("utm_source" not in u for u in urls)


def test_near_duplicates_across_sources_share_a_story_cluster(tmp_path: Path, site: Site) -> None:
    page = WINDMILL_FILE.read_text(encoding="utf-8")
    # a partner re-files the story with its own credit line and one word changed
    refiled = (
        page.replace("Editing by Mark Holt", "Editing by Mark Holt for Partner Wire")
        .replace("grow older", "grow old")
        .replace(WINDMILL, "/syndicated/windmills")
    )
    assert refiled != page
    site.put("/syndicated/windmills", refiled.encode("utf-8"))
    feed = f"""<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
<item><title>Windmills</title><link>{site.url("/syndicated/windmills")}</link></item>
</channel></rss>""".encode()
    site.put("/partner.rss", feed, "application/rss+xml")
    config = config_for(
        tmp_path,
        site,
        extra=f"""
[[sources]]
name = "partner"
url = "{site.url("/partner.rss")}"
""",
    )
    cli("poll", "--config", str(config))
    with Store(tmp_path / "archive.db") as store:
        assert store.count_articles() == 4
        rows = store.conn.execute("SELECT source, url, cluster_id, id FROM articles").fetchall()
    clusters = {r["url"]: r["cluster_id"] for r in rows}
    windmill = clusters[site.url(WINDMILL)]
    assert clusters[site.url("/syndicated/windmills")] == windmill
    others = [c for u, c in clusters.items() if "windmill" not in u]
    assert windmill not in others and len(set(others)) == 2

    hits = json.loads(cli("search", "millers", "--format", "json", "--config", str(config)))
    assert len(hits) == 1  # one line per story
    hits = json.loads(
        cli("search", "millers", "--all", "--format", "json", "--config", str(config))
    )
    assert len(hits) == 2


def test_revisit_ladder_refetches_an_edited_story(tmp_path: Path, site: Site) -> None:
    config = config_for(tmp_path, site, revisit='["1s", "1h"]')
    cli("poll", "--config", str(config))
    edit_windmill(site)
    time.sleep(1.2)
    cli("poll", "--config", str(config))  # listing 304, but the 1 s revisits are due
    assert site.requests[WINDMILL] == 2
    cli("poll", "--config", str(config))  # next step is 1 h away: nothing fetched
    assert site.requests[WINDMILL] == 2
    with Store(tmp_path / "archive.db") as store:
        article = store.get_article(site.url(WINDMILL))
        assert article["revision_count"] == 2
        assert EDITED in article["body"]


def test_every_revision_points_at_its_capture(tmp_path: Path, site: Site) -> None:
    config = config_for(tmp_path, site)
    cli("poll", "--config", str(config))
    edit_windmill(site)
    bump_lastmod(site)
    cli("poll", "--config", str(config))
    with Store(tmp_path / "archive.db") as store:
        article = store.get_article(site.url(WINDMILL))
        revisions = store.revisions(article["id"])
    assert len(revisions) == 2
    for rev in revisions:
        ref = rev.capture
        assert ref is not None and ref.record_id.startswith("<urn:uuid:")
        assert "/" not in ref.file and ref.file.endswith(".warc.gz")
        body = read_capture(tmp_path / "captures", ref).body
        assert (EDITED.encode() in body) == (rev.number == 2)
    # listings are captured too
    urls = {resp.url for _, resp in iter_captures(tmp_path / "captures")}
    assert site.url(SITEMAP) in urls
    assert all(p.name.startswith("archiver-") for p in capture_files(tmp_path / "captures"))


def test_reextract_rebuilds_the_same_articles_from_the_captures_alone(
    tmp_path: Path, site: Site
) -> None:
    config = config_for(tmp_path, site)
    cli("poll", "--config", str(config))
    edit_windmill(site)
    bump_lastmod(site)
    cli("poll", "--config", str(config))
    columns = (
        "url, source, title, lead, body, published, authors, dateline, revision_count, content_hash"
    )
    with Store(tmp_path / "archive.db") as store:
        before = [
            tuple(r) for r in store.conn.execute(f"SELECT {columns} FROM articles ORDER BY url")
        ]
    out = cli("reextract", "--config", str(config))
    assert "revision: 0" in out and "unchanged: 3" in out and "history: 1" in out

    for file in tmp_path.glob("archive.db*"):
        file.unlink()
    out = cli("reextract", "--config", str(config))
    assert "new: 3" in out and "revision: 1" in out
    with Store(tmp_path / "archive.db") as store:
        after = [
            tuple(r) for r in store.conn.execute(f"SELECT {columns} FROM articles ORDER BY url")
        ]
        assert store.integrity_problems() == []
    assert after == before


def test_a_story_removed_from_its_site_is_marked_gone_and_kept(tmp_path: Path, site: Site) -> None:
    config = config_for(tmp_path, site, revisit='["1s", "2s"]')
    cli("poll", "--config", str(config))
    site.delete(WINDMILL)
    time.sleep(1.2)
    cli("poll", "--config", str(config))  # the 1 s revisit finds a 404
    shown = json.loads(cli("show", site.url(WINDMILL), "--format", "json", "--config", str(config)))
    assert shown["gone_at"] is not None
    assert "millwrights" in shown["body"]  # what the agency said is still there
    assert "gone since" in cli("show", site.url(WINDMILL), "--config", str(config))
    site.put(WINDMILL, WINDMILL_FILE.read_bytes())  # back again at the next revisit
    time.sleep(1.0)
    cli("poll", "--config", str(config))
    with Store(tmp_path / "archive.db") as store:
        assert store.get_article(site.url(WINDMILL))["gone_at"] is None
