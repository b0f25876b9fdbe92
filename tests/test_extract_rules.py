"""Site rules: built-ins load, rules chosen by URL or canonical domain, user rules win,
config mistakes are one line naming the key."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from archiver.errors import ConfigError
from archiver.extract import builtin_rules, extract, find_rule, rule_from_config
from archiver.extract.rules import SiteRule

PAGES = Path(__file__).parent / "fixtures" / "pages"
REQUIRED = [
    "tass.com",
    "tass.ru",
    "apnews.com",
    "reuters.com",
    "aa.com.tr",
    "en.yna.co.kr",
    "www.bbc.com",
    "www.dw.com",
    "www.voanews.com",
    "www.euronews.com",
    "english.kyodonews.net",
    "www.upi.com",
    "www.ansa.it",
]


@pytest.mark.parametrize("host", REQUIRED)
def test_builtin_rule_for_every_agency_layout(host: str) -> None:
    assert find_rule(builtin_rules(), f"https://{host}/some/story") is not None


def test_no_rule_for_unknown_sites() -> None:
    assert find_rule(builtin_rules(), "https://news.example.org/a") is None
    assert find_rule(builtin_rules(), "https://nottass.com/a") is None


def test_rule_chosen_by_canonical_domain_when_read_from_elsewhere() -> None:
    page = (PAGES / "tass-com-seed.html").read_bytes()
    article = extract(page, "file:///tmp/saved-page.html")
    assert article.extractor == "rule:tass"
    assert article.dateline is not None and article.dateline.agency == "TASS"


def test_user_rule_overrides_builtin() -> None:
    page = (PAGES / "tass-com-seed.html").read_bytes()
    user = rule_from_config(
        {
            "name": "my-tass",
            "domains": ["tass.com"],
            "body": ".news-header__lead",
            "timezone": "UTC",
        },
        0,
    )
    article = extract(page, "https://tass.com/world/1251111", rules=[user])
    assert article.extractor == "rule:my-tass"
    assert article.body.startswith("Azerbaijani Defense Minister and Turkish")
    assert article.published is not None
    assert article.published.utcoffset() == timedelta(0)


def test_rule_from_config_full() -> None:
    rule = rule_from_config(
        {
            "domains": ["Example.org", "www.example.net"],
            "title": "h1",
            "body": "article p, .story",
            "agency": "EX",
            "timezone": "Europe/Oslo",
        },
        3,
    )
    assert rule == SiteRule(
        name="example.org",
        domains=("example.org", "example.net"),
        title="h1",
        body="article p, .story",
        agency="EX",
        timezone="Europe/Oslo",
    )
    assert rule.covers("news.example.org") and not rule.covers("badexample.org")


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"domains": ["a.org"], "bdy": "p"}, "rules[2].bdy: unknown key (did you mean 'body'?)"),
        ({"domains": ["a.org"], "body": "p[[["}, "rules[2].body: bad CSS selector"),
        ({"domains": ["a.org"], "timezone": "Mars/Olympus"}, "rules[2].timezone:"),
        ({"body": "p"}, "rules[2].domains: missing"),
        ({"domains": ["https://a.org/x"]}, "rules[2].domains:"),
        ({"domains": ["a.org"], "title": 5}, "rules[2].title: expected a non-empty string"),
        ("not a table", "rules[2]: expected a table"),
    ],
)
def test_rule_from_config_errors_name_the_key(table: object, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        rule_from_config(table, 2)
    text = str(caught.value)
    assert text.startswith(message)
    assert "\n" not in text


def test_user_rule_for_a_new_site() -> None:
    page = (PAGES / "generic-jsonld-graph.html").read_bytes()
    user = rule_from_config(
        {
            "name": "example-daily",
            "domains": ["news.example.org"],
            "body": "article .story",
            "drop": "p:contains('Read more')",
            "agency": "EXD",
        },
        0,
    )
    article = extract(page, "https://news.example.org/harbour-bridge", rules=[user])
    assert article.extractor == "rule:example-daily"
    assert article.agency == "EXD"
    assert article.body.startswith("The harbour board approved")
    assert "Read more" not in article.body
