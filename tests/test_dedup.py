"""Dedup keys: canonical URLs, link identities, substantive change, SimHash and its index."""

from __future__ import annotations

import itertools
import json
import random
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archiver.dedup import (
    DEFAULT_MAX_DISTANCE,
    band_probes,
    bands,
    canonical_url,
    content_hash,
    from_signed64,
    guids_look_stable,
    hamming,
    link_identity,
    normalize_text,
    registrable_domain,
    simhash,
    substantive_change,
    to_signed64,
)
from archiver.dedup.filing import nearest_cluster
from archiver.dedup.simhash import tokens

FIXTURES = Path(__file__).parent / "fixtures" / "dedup"
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"

# ----------------------------------------------------------------- canonical URLs

URL_PAIRS = [
    # scheme and host case, default ports, fragments, empty path
    ("HTTPS://WWW.Example.COM/News/Story", "https://www.example.com/News/Story"),
    ("https://example.com:443/a", "https://example.com/a"),
    ("http://example.com:80/a", "http://example.com/a"),
    ("http://example.com:8080/a", "http://example.com:8080/a"),
    ("https://example.com:80/a", "https://example.com:80/a"),
    ("https://example.com/a#comments", "https://example.com/a"),
    ("https://example.com", "https://example.com/"),
    ("https://example.com?id=5", "https://example.com/?id=5"),
    ("https://example.com./a", "https://example.com/a"),
    ("https://user:secret@example.com/a", "https://example.com/a"),
    ("  https://example.com/a\n", "https://example.com/a"),
    # IDNA and percent-encoding
    ("https://Bücher.de/a", "https://xn--bcher-kva.de/a"),
    ("https://пример.рф/новости", "https://xn--e1afmkfd.xn--p1ai/%D0%BD%D0%BE%D0%B2%D0%BE%D1%81%D1%82%D0%B8"),
    ("https://example.com/%7euser/", "https://example.com/~user/"),
    # tracking parameters dropped, the rest sorted
    ("https://example.com/a?utm_source=rss&utm_medium=feed", "https://example.com/a"),
    ("https://example.com/a?UTM_Campaign=x&id=7", "https://example.com/a?id=7"),
    ("https://example.com/a?b=2&fbclid=XyZ&a=1", "https://example.com/a?a=1&b=2"),
    ("https://example.com/a?gclid=1&dclid=2&msclkid=3&yclid=4", "https://example.com/a"),
    ("https://example.com/a?mc_cid=1&mc_eid=2&_ga=3&igshid=4", "https://example.com/a"),
    ("https://example.com/a?ref=home&ref_src=twsrc&cmpid=rss", "https://example.com/a"),
    ("https://example.com/a?ocid=msn&taid=5&spm=a.b.c", "https://example.com/a"),
    ("https://example.com/a?at_medium=rss&at_campaign=x&p=2", "https://example.com/a?p=2"),
    ("https://example.com/a?pk_campaign=x&mtm_kwd=y", "https://example.com/a"),
    ("https://example.com/a?id=1&id=0", "https://example.com/a?id=0&id=1"),
    ("https://example.com/a?q=&id=1", "https://example.com/a?id=1&q="),
    # AMP variants folded
    ("https://example.com/world/story/amp", "https://example.com/world/story"),
    ("https://example.com/world/story/amp/", "https://example.com/world/story/"),
    ("https://example.com/amp/world/story", "https://example.com/world/story"),
    ("https://example.com/world/story?amp=1", "https://example.com/world/story"),
    ("https://example.com/world/story?amp", "https://example.com/world/story"),
    ("https://example.com/world/story?outputType=amp", "https://example.com/world/story"),
    ("https://amp.example.com/world/story", "https://example.com/world/story"),
    ("https://example.com/world/story.amp.html", "https://example.com/world/story.html"),
    ("https://example.com/world/story.amp", "https://example.com/world/story"),
    ("https://example-com.cdn.ampproject.org/c/s/example.com/world/story", "https://example.com/world/story"),
    ("https://www.google.com/amp/s/example.com/world/story", "https://example.com/world/story"),
    ("https://example.com/champion/ampere", "https://example.com/champion/ampere"),
    ("https://amp.com/a", "https://amp.com/a"),
]  # fmt: skip


@pytest.mark.parametrize(("raw", "expected"), URL_PAIRS)
def test_canonical_url_rules(raw: str, expected: str) -> None:
    assert canonical_url(raw) == expected
    assert canonical_url(expected) == expected  # idempotent


@pytest.mark.parametrize(
    ("url", "page_canonical", "expected"),
    [
        # honoured on the same site: www., another subdomain, relative, co.uk-style suffixes
        ("https://tass.com/world/1?utm_source=x", "https://tass.com/world/1", "https://tass.com/world/1"),
        ("https://www.aa.com.tr/en/x-1", "https://aa.com.tr/en/x-1", "https://aa.com.tr/en/x-1"),
        ("https://m-en.yna.co.kr/view/AEN1", "https://en.yna.co.kr/view/AEN1", "https://en.yna.co.kr/view/AEN1"),
        ("https://news.bbc.co.uk/a", "https://www.bbc.co.uk/news/a", "https://www.bbc.co.uk/news/a"),
        ("https://example.com/amp/story", "/story?ref=amp", "https://example.com/story"),
        ("https://example.com/s?id=1", "https://EXAMPLE.com/story-1#top", "https://example.com/story-1"),
        # ignored: another site, a sibling under a public suffix, the home page, garbage
        ("https://www.aa.com.tr/en/x", "https://evil.com/en/x", "https://www.aa.com.tr/en/x"),
        ("https://a.co.uk/x", "https://b.co.uk/x", "https://a.co.uk/x"),
        ("https://alice.github.io/x", "https://bob.github.io/x", "https://alice.github.io/x"),
        ("https://example.com/story", "https://example.com/", "https://example.com/story"),
        ("https://example.com/story", "javascript:alert(1)", "https://example.com/story"),
        ("https://example.com/story", "http://[::1", "https://example.com/story"),
        ("https://example.com/story", "", "https://example.com/story"),
        ("https://example.com/", "https://www.example.com/", "https://www.example.com/"),
    ],
)  # fmt: skip
def test_page_canonical_honoured_on_same_site(url: str, page_canonical: str, expected: str) -> None:
    assert canonical_url(url, page_canonical) == expected


@pytest.mark.parametrize(
    "garbage",
    ["", "   ", "not a url", "mailto:desk@example.com", "ftp://example.com/a", "//example.com/a",
     "http://", "http://example.com:99999/", "http://[::1/", "\x00\x01", "https://exa mple.com/"],
)  # fmt: skip
def test_canonical_url_returns_garbage_stripped(garbage: str) -> None:
    assert canonical_url(f"  {garbage}  ") == garbage.strip()


@pytest.mark.slow
@given(st.text(), st.one_of(st.none(), st.text()))
def test_canonical_url_never_raises(url: str, page_canonical: str | None) -> None:
    assert isinstance(canonical_url(url, page_canonical), str)
    assert isinstance(canonical_url("https://example.com/" + url, page_canonical), str)


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("news.bbc.co.uk", "bbc.co.uk"),
        ("www.aa.com.tr", "aa.com.tr"),
        ("en.yna.co.kr", "yna.co.kr"),
        ("WWW.TASS.RU", "tass.ru"),
        ("english.kyodonews.net", "kyodonews.net"),
        ("127.0.0.1", "127.0.0.1"),
        ("localhost", "localhost"),
        ("intranet.example.local", "example.local"),
        ("news.agency.co.zz", "agency.co.zz"),  # unknown suffix: heuristic
    ],
)
def test_registrable_domain(host: str, expected: str) -> None:
    assert registrable_domain(host) == expected


# ----------------------------------------------------------------- link identity

WHEN = datetime(2024, 1, 30, 9, 15, tzinfo=UTC)


def test_identity_prefers_canonical_url() -> None:
    a = link_identity("https://tass.com/world/1?utm_source=rss", "g-1", "Title", WHEN)
    b = link_identity("https://tass.com/world/1#x", "g-2", "Other", None)
    assert a == b == "url:https://tass.com/world/1"


def test_identity_url_guid_is_a_url_key() -> None:
    key = link_identity("", "https://tass.com/world/1?utm_medium=x", "T", WHEN)
    assert key == link_identity("https://tass.com/world/1", None, None, None)


def test_identity_trusted_guid_scoped_by_source() -> None:
    assert link_identity("", " 12345 ", "T", WHEN, scope="tass-en") == "guid:tass-en:12345"
    assert link_identity("", "12345", "T", WHEN, scope="ap") != link_identity(
        "", "12345", "T", WHEN, scope="tass-en"
    )


def test_identity_untrusted_guid_falls_back_to_title_and_date() -> None:
    a = link_identity("", "same-guid", "Quake hits  eastern “Turkey”", WHEN, guid_trusted=False)
    b = link_identity(None, "same-guid", 'quake hits eastern "turkey"', WHEN, guid_trusted=False)  # type: ignore[arg-type]
    c = link_identity("", "same-guid", "Quake hits eastern Turkey", WHEN + timedelta(hours=1),
                      guid_trusted=False)  # fmt: skip
    assert a.startswith("hash:")
    assert a == b
    assert a != c


def test_identity_hash_uses_the_instant_not_the_zone() -> None:
    moscow = WHEN.astimezone(timezone(timedelta(hours=3)))
    naive_utc = WHEN.replace(tzinfo=None)
    keys = {link_identity("", None, "T", when) for when in (WHEN, moscow, naive_utc)}
    assert len(keys) == 1


def test_identity_with_nothing_usable_is_raw_and_stable() -> None:
    a = link_identity("not a url", None, None, None)
    assert a.startswith("raw:")
    assert a == link_identity("not a url ", None, None, None)
    assert a != link_identity("other thing", None, None, None)


@pytest.mark.parametrize(
    ("guids", "stable"),
    [
        (["a", "b", "c"], True),
        (["a", None, "c", ""], True),
        (["https://x/feed", "https://x/feed", "https://x/feed"], False),
        (["a", "b", "a"], False),
        ([None, None], False),
        ([], False),
    ],
)
def test_guids_look_stable(guids: list[str | None], stable: bool) -> None:
    assert guids_look_stable(guids) is stable


# ----------------------------------------------------------------- text identity


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a\u00a0b  c\n\n d", "a b c d"),
        ("\u201cQuoted\u201d \u2018one\u2019 \u00abgu\u00bb", "\"Quoted\" 'one' \"gu\""),
        ("2024\u20132025 \u2014 a\u2212b", "2024-2025 - a-b"),
        ("zero\u200bwidth soft\u00adhyphen \ufeffBOM", "zerowidth softhyphen BOM"),
        ("\uff21\uff22\uff23 \ufb01", "ABC fi"),
        ("Updated 10:42 GMT\nBody text.", "Body text."),
        ("Last updated: 30 Jan 2024, 14:05 UTC\nBody.", "Body."),
        ("Published on Tuesday, January 30, 2024 at 9:15 a.m. ET\nBody.", "Body."),
        ("5 hours ago\nBody.", "Body."),
        ("Обновлено 29 июня 2020, 10:42\nТекст.", "Текст."),
        ("Updated 10:42 GMT with new figures\nBody.", "Updated 10:42 GMT with new figures Body."),
        ("BAKU, January 30. /TASS/. Text.", "BAKU, January 30. /TASS/. Text."),
        ("The vote was 12\n2024", "The vote was 12 2024"),
        (None, ""),
    ],
)  # fmt: skip
def test_normalize_text(text: str | None, expected: str) -> None:
    assert normalize_text(text) == expected


OLD = (
    "Quake hits eastern Turkey",
    "A magnitude 5.9 earthquake struck eastern Turkey.",
    "ANKARA, February 14. /WIRE/. At least four people were killed.\n\nSchools are closed.",
)


@pytest.mark.parametrize(
    ("new", "changed"),
    [
        (OLD, ()),
        ((OLD[0] + "  ", OLD[1], OLD[2].replace("\n\n", "\n")), ()),  # whitespace
        ((OLD[0], OLD[1].replace(" ", "\u00a0"), OLD[2]), ()),  # nbsp
        ((OLD[0], OLD[1], "Updated 06:10 GMT\n" + OLD[2]), ()),  # timestamp line
        ((OLD[0], OLD[1], OLD[2].replace("people", "\u200bpeople")), ()),  # zero-width
        ((OLD[0], OLD[1], OLD[2].replace("four", "five")), ("body",)),
        ((OLD[0].replace("Quake", "UPDATE 1-Quake"), OLD[1], OLD[2]), ("title",)),
        ((OLD[0], OLD[1] + " Dozens were hurt.", OLD[2] + "\n\nAid arrived."), ("lead", "body")),
        ((OLD[0].lower(), OLD[1], OLD[2]), ("title",)),  # case is substance
        ((OLD[0], None, OLD[2]), ("lead",)),
    ],
)
def test_substantive_change(
    new: tuple[str | None, str | None, str | None], changed: tuple[str, ...]
) -> None:
    assert substantive_change(OLD, new) == changed
    assert (content_hash(*OLD) == content_hash(*new)) is (changed == ())


def test_content_hash_keeps_fields_apart() -> None:
    assert content_hash("A", "b c", "d") != content_hash("A b", "c", "d")
    assert len(content_hash(None, None, None)) == 64


def test_smart_quotes_are_not_substance() -> None:
    straight = ('He said "no" - twice', None, "It's done.")
    curly = ("He said \u201cno\u201d \u2014 twice", None, "It\u2019s done.")
    assert substantive_change(straight, curly) == ()


# ----------------------------------------------------------------- SimHash

STORIES = {p.stem: p.read_text(encoding="utf-8") for p in sorted(FIXTURES.glob("*.txt"))}
SAME_TOPIC = [
    ("opec-output", "opec-prices"),
    ("quake-hits", "quake-aid"),
    ("bok-hold", "bok-exports"),
]
ADDED = "Officials gave no further details and said more information would be released later."


def refiled(text: str) -> str:
    """The same story re-filed with one sentence added after the third paragraph."""
    paras = text.strip().split("\n\n")
    return "\n\n".join([*paras[:3], ADDED, *paras[3:]])


def test_fixture_stories_are_present() -> None:
    assert len(STORIES) == 6
    assert all(len(text.split()) > 200 for text in STORIES.values())


@pytest.mark.parametrize("name", sorted(STORIES))
def test_refiled_story_with_added_sentence_is_near(name: str) -> None:
    original = simhash(STORIES[name])
    assert hamming(original, simhash(refiled(STORIES[name]))) <= DEFAULT_MAX_DISTANCE


@pytest.mark.parametrize("name", sorted(STORIES))
def test_restyled_story_hashes_the_same(name: str) -> None:
    text = STORIES[name]
    restyled = text.replace("\n\n", "\n \n").replace(" ", "\u00a0", 5).replace("'", "\u2019")
    assert simhash(restyled) == simhash(text)
    assert simhash("Updated 08:15 GMT\n" + text) == simhash(text)


@pytest.mark.parametrize(("a", "b"), list(itertools.combinations(sorted(STORIES), 2)))
def test_different_stories_are_far(a: str, b: str) -> None:
    # same-topic pairs included; keep a wide margin above the threshold
    assert hamming(simhash(STORIES[a]), simhash(STORIES[b])) > 2 * DEFAULT_MAX_DISTANCE


def test_same_topic_pairs_are_in_the_fixtures() -> None:
    assert all(a in STORIES and b in STORIES for a, b in SAME_TOPIC)


def test_simhash_edge_cases() -> None:
    assert simhash("") == 0
    assert simhash("   \n ") == 0
    assert 0 <= simhash("two words") < 1 << 64
    assert simhash("Some Text here") == simhash("some text  HERE")
    assert tokens("中国经济 grew 5%") == ["中", "国", "经", "济", "grew", "5"]


@given(st.text(), st.one_of(st.none(), st.text()), st.one_of(st.none(), st.text()))
def test_text_functions_never_raise(body: str, title: str | None, lead: str | None) -> None:
    for text in (body, body + "\ud800 lone surrogate"):
        assert 0 <= simhash(text) < 1 << 64
        assert isinstance(normalize_text(text), str)
        assert len(content_hash(title, lead, text)) == 64
        assert substantive_change((title, lead, text), (title, lead, text)) == ()


def test_signed64_round_trip_and_hamming_on_signed() -> None:
    rng = random.Random(3)
    values = [0, 1, (1 << 63) - 1, 1 << 63, (1 << 64) - 1] + [
        rng.getrandbits(64) for _ in range(200)
    ]
    for h in values:
        s = to_signed64(h)
        assert -(1 << 63) <= s < 1 << 63
        assert from_signed64(s) == h
        assert hamming(to_signed64(h), h ^ 0b101) == 2
    assert to_signed64((1 << 64) - 1) == -1


def test_bands_reassemble_the_hash() -> None:
    h = 0x0123_4567_89AB_CDEF
    assert bands(h) == (0x0123, 0x4567, 0x89AB, 0xCDEF)
    b0, b1, b2, b3 = bands(to_signed64(0xFFFF_0000_FFFF_0000))
    assert (b0, b1, b2, b3) == (0xFFFF, 0, 0xFFFF, 0)
    assert [len(p) for p in band_probes(h, 3)] == [1, 1, 1, 1]
    assert [len(p) for p in band_probes(h, 7)] == [17, 17, 17, 17]
    assert [len(p) for p in band_probes(h, 11)] == [137] * 4
    assert band_probes(h, 3)[2] == (0x89AB,)


def _flip(h: int, count: int, rng: random.Random) -> int:
    for bit in rng.sample(range(64), count):
        h ^= 1 << bit
    return h


def _near(
    tables: list[dict[int, set[int]]], hashes: dict[int, int], query: int, max_distance: int
) -> set[int]:
    """The store's lookup: ids sharing a band probe, confirmed by Hamming distance."""
    found: set[int] = set()
    for table, probes in zip(tables, band_probes(query, max_distance), strict=True):
        for value in probes:
            found |= table.get(value, set())
    return {k for k in found if hamming(query, hashes[k]) <= max_distance}


@pytest.mark.parametrize("max_distance", [0, 3, 7, 11])
def test_band_probes_find_every_neighbour(max_distance: int) -> None:
    rng = random.Random(max_distance)
    hashes: dict[int, int] = {}
    seeds = [rng.getrandbits(64) for _ in range(300)]
    for i in range(3000):
        # planted near neighbours of a few seeds at every distance up to 14, plus noise
        hashes[i] = (
            _flip(rng.choice(seeds), rng.randrange(15), rng) if i % 3 else rng.getrandbits(64)
        )
    tables: list[dict[int, set[int]]] = [{} for _ in range(4)]
    for key, h in hashes.items():
        for table, value in zip(tables, bands(h), strict=True):
            table.setdefault(value, set()).add(key)
    found_any = 0
    for query in seeds[:60] + [rng.getrandbits(64) for _ in range(20)]:
        expected = {k for k, h in hashes.items() if hamming(query, h) <= max_distance}
        assert _near(tables, hashes, query, max_distance) == expected
        found_any += len(expected)
    assert found_any > 0


def test_nearest_cluster_of_refiled_fixture_stories() -> None:
    near = tuple((i, simhash(text)) for i, text in enumerate(STORIES.values()))
    for i, text in enumerate(STORIES.values()):
        assert nearest_cluster(simhash(refiled(text)), near) == i


@pytest.mark.corpus
def test_corpus_different_stories_stay_apart() -> None:
    manifest = CORPUS / "manifest.jsonl"
    if not manifest.exists():
        pytest.skip("../shared/corpus is absent")
    rows = [json.loads(line) for line in manifest.read_text(encoding="utf-8").splitlines() if line]
    items = [
        (r["url"], simhash(r["truth"]["body"]))
        for r in rows
        if len(r["truth"].get("body") or "") > 400
    ]
    assert len(items) > 50
    same: list[int] = []
    different: list[int] = []
    for (url_a, a), (url_b, b) in itertools.combinations(items, 2):
        (same if url_a == url_b else different).append(hamming(a, b))
    assert min(different) > 2 * DEFAULT_MAX_DISTANCE
    assert all(d <= DEFAULT_MAX_DISTANCE for d in same)
