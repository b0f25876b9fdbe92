"""The PostgreSQL archive: the same commands, the same filing, the same search results as
SQLite on the same pages; config errors; leases and host slots shared in the database."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from archiver.config import ArchiveSettings, load_config
from archiver.errors import ConfigError
from archiver.search import count, search
from archiver.store import open_store
from archiver.store.leases import Holder, claim, release
from archiver.store.pg.core import PgStore
from archiver.store.pg.search import tsquery
from archiver.store.pg.slots import PgHostSlots
from archiver.timeutil import utcnow
from test_e2e import FIXTURES, article_hits, run, write_config

from sitefixture import Site, serve_site

QUERIES = [
    "walrus",
    "walruses tusks",
    '"satellite tags"',
    '"tags on walruses"',  # exact phrases: as written, on both backends
    '"tag on walrus"',
    "title:walruses",
    "tea OR windmill",
    "alpaca*",
    "prices -tea",
    "source:reuters",
    "source:tass-en arctic",
]


@pytest.fixture
def site() -> Iterator[Site]:
    with serve_site(FIXTURES) as running:
        yield running


def pg_config(tmp_path: Path, site: Site, url: str, extra: str = "") -> Path:
    config = write_config(tmp_path, site, extra)
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace('path = "var/archive.db"', f'url = "{url}"'), encoding="utf-8")
    return config


def test_archive_url_or_path_but_not_both(tmp_path: Path) -> None:
    both = tmp_path / "both.toml"
    both.write_text('[archive]\npath = "a.db"\nurl = "postgresql:///x"\n')
    with pytest.raises(ConfigError, match="either path"):
        load_config(both)
    bad = tmp_path / "bad.toml"
    bad.write_text('[archive]\nurl = "mysql://u:secret@db/x"\n')
    with pytest.raises(ConfigError, match="not a postgresql:// URL") as caught:
        load_config(bad)
    assert "secret" not in str(caught.value)
    good = tmp_path / "good.toml"
    good.write_text('[archive]\nurl = "postgresql://u@/x?host=/tmp"\n')
    assert load_config(good).archive.url == "postgresql://u@/x?host=/tmp"


def test_poll_files_every_story_once_and_search_finds_the_seed(
    tmp_path: Path, site: Site, pg_url: str
) -> None:
    config = pg_config(tmp_path, site, pg_url)
    code, _out, err = run("poll", "--config", str(config))
    assert code == 0, err
    with PgStore(pg_url) as store:
        assert store.count_articles() == 9
        assert store.integrity_problems() == []
        assert store.schema_version() == 101  # the shared migrations, then its own (100, 101)
    first = article_hits(site)
    code, _out, err = run("poll", "--config", str(config))
    assert code == 0, err
    assert article_hits(site) == first  # nothing re-fetched: the archive remembers
    code, out, err = run("search", "walruses", "--config", str(config), "--format", "json")
    assert code == 0, err
    assert "/science/1788301" in out
    code, out, err = run("show", site.url("/science/1788301"), "--config", str(config))
    assert code == 0, err
    assert "walrus" in out.lower()
    code, out, err = run("sources", "--config", str(config), "--format", "json")
    assert code == 0, err
    assert '"tass-en"' in out


def test_search_agrees_with_sqlite_on_the_same_pages(
    tmp_path: Path, site: Site, pg_url: str
) -> None:
    lite_dir, pg_dir = tmp_path / "lite", tmp_path / "pg"
    lite_dir.mkdir()
    pg_dir.mkdir()
    lite = write_config(lite_dir, site)
    assert run("poll", "--config", str(lite))[0] == 0
    assert run("poll", "--config", str(pg_config(pg_dir, site, pg_url)))[0] == 0
    db = lite_dir / "var" / "archive.db"
    for text in QUERIES:
        ours = {h.url for h in search(pg_url, text, limit=50)}
        theirs = {h.url for h in search(db, text, limit=50)}
        assert ours == theirs, text
        assert count(pg_url, text) == count(db, text), text
        newest = [h.url for h in search(pg_url, text, limit=50, sort="newest")]
        assert set(newest) == theirs, text
    assert {h.url for h in search(pg_url, "walrus", limit=50)}  # not vacuous
    assert search(pg_url, '"tags on walruses"') and not search(pg_url, '"tag on walrus"')


def test_relevance_ranks_the_most_recently_archived_matches(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A common word is ranked among its RANK_WINDOW newest matches, so its cost does not grow
    with the archive; with fewer matches than the window every match is ranked."""
    from archiver.models import Article
    from archiver.store import article_row
    from archiver.store.pg import search as pg_search

    seen = utcnow()
    texts = ["walrus walrus walrus walrus on the ice"] + [
        f"a note {i} that names one walrus among much else" for i in range(5)
    ]
    rows = [
        article_row(
            Article(url=f"https://x.example/{i}", title=t, body=t + ". " + t, language="en"),
            source="x",
            fetched_url=f"https://x.example/{i}",
            seen_at=seen,
        )
        for i, t in enumerate(texts)
    ]
    with PgStore(pg_url) as store:
        store.migrate()
        store.add_articles(rows)
    everything = search(pg_url, "walrus", limit=10)
    assert len(everything) == 6
    assert everything[0].url == "https://x.example/0"  # the best match, archived first
    monkeypatch.setattr(pg_search, "RANK_WINDOW", 3)
    windowed = search(pg_url, "walrus", limit=10)
    assert [h.url for h in windowed] == [
        h.url for h in everything if h.url in {f"https://x.example/{i}" for i in (3, 4, 5)}
    ]
    assert len(search(pg_url, "walrus", limit=10, sort="newest")) == 6  # newest: not windowed


def test_tsquery_is_the_fts5_expression_operator_for_operator() -> None:
    assert tsquery('"a_en b_en"') == "('a_en' <-> 'b_en')"
    assert tsquery('"walrus" *') == "'walrus':*"
    assert tsquery('title : ("x" OR "y")') == "('x':A | 'y':A)"
    assert tsquery('("a" AND "b") NOT ("c")') == "(('a' & 'b') & !'c')"
    assert tsquery('"it\'s"') == "'it''s'"


def test_the_lease_is_one_holders_on_postgresql(pg_url: str) -> None:
    a, b = Holder(1, "alpha", "aaaa"), Holder(2, "beta", "bbbb")
    with PgStore(pg_url) as store:
        store.migrate()
        assert claim(store, "s", a) is None
        other = claim(store, "s", b)
        assert other is not None and other.holder == a.id
        release(store, "s", a)
        assert claim(store, "s", b) is None
        later = utcnow() + timedelta(seconds=500)
        assert claim(store, "s", a, now=later) is None  # b's lease expired


def test_host_slots_make_two_daemons_take_turns(pg_url: str) -> None:
    with PgStore(pg_url) as store:
        store.migrate()
        one, two = PgHostSlots(store, "one"), PgHostSlots(store, "two")
        assert one.acquire("h:80", 60) == 0.0
        assert 0 < two.acquire("h:80", 60) < 1  # held by one for its request: look again soon
        one.release("h:80", 0.5)
        wait = two.acquire("h:80", 60)
        assert 0 < wait <= 0.5  # the delay holds across holders
        time.sleep(wait + 0.05)
        assert two.acquire("h:80", 60) == 0.0
        two.release("h:80", 0)
        one.block("h:80", utcnow() + timedelta(seconds=30))
        assert two.acquire("h:80", 60) > 20  # Retry-After seen by the other daemon


def test_threads_share_the_store_and_never_duplicate(pg_url: str) -> None:
    from archiver.models import Article

    with open_store(ArchiveSettings(url=pg_url)) as store:
        store.migrate()
        body = "The walruses were counted on the ice of Franz Josef Land. " * 10
        article = Article(url="https://x.test/a", title="Walruses", body=body, language="en")
        outcomes: list[str] = []

        def save() -> None:
            outcomes.append(store.save_article(article, source="x").outcome)

        threads = [threading.Thread(target=save) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(outcomes) == ["new"] + ["unchanged"] * 7
        assert store.count_articles() == 1
