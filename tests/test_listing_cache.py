"""A listing whose links were not all handled keeps its validators: on the next poll a 304 is
answered from its capture, so a big sitemap is not downloaded and parsed again each time."""

from __future__ import annotations

from pathlib import Path

from archiver.config import load_config
from archiver.poll.once import poll_now
from archiver.store import Store

from sitefixture import Site

SITEMAP = "/arc/outboundfeeds/news-sitemap/"


def _config(tmp_path: Path, site: Site) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(
        f"""
[archive]
path = "archive.db"
captures = "captures"
[http]
allow_private = true
delay = 0
[daemon]
max_articles = 1
extract_workers = 0
[[sources]]
name = "reuters"
kind = "sitemap"
url = "{site.url(SITEMAP)}"
revisit = []
""",
        encoding="utf-8",
    )
    return config


def _sitemap_answers(site: Site) -> list[int]:
    return [status for command, path, status in site.log if path == SITEMAP and command == "GET"]


def _articles(root: Path) -> int:
    with Store(root / "archive.db") as store:
        return store.count_articles()


def test_links_left_over_are_read_from_the_capture_on_a_304(tmp_path: Path, site: Site) -> None:
    config = load_config(_config(tmp_path, site))
    archived = []
    for _ in range(4):
        run = poll_now(config)
        assert [r.outcome for r in run.reports] in (["ok"], ["not_modified"])
        archived.append(_articles(tmp_path))
    assert archived == [1, 2, 3, 3]  # one new story a poll (max_articles = 1), none lost
    assert _sitemap_answers(site) == [200, 304, 304, 304]  # downloaded once
    pages = [p for c, p, s in site.log if p != SITEMAP and not p.startswith("/robots")]
    assert len(pages) == len(set(pages)) == 3  # every story fetched once
    with Store(tmp_path / "archive.db") as store:
        state = store.source_state("reuters")
    assert not state.links_left and state.etag


def test_a_capture_that_cannot_be_read_means_the_listing_is_fetched_again(
    tmp_path: Path, site: Site
) -> None:
    config = load_config(_config(tmp_path, site))
    poll_now(config)
    for warc in (tmp_path / "captures").glob("*.warc.gz"):
        warc.chmod(0o644)
        warc.write_bytes(b"")  # the listing's capture is gone
    poll_now(config)
    assert _sitemap_answers(site) == [200, 304, 200]
    assert _articles(tmp_path) == 2
