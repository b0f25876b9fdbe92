"""The filing decision, branch by branch, as a table: no SQLite, no server, milliseconds."""

from __future__ import annotations

import pytest

from archiver.dedup import canonical_url, content_hash, simhash
from archiver.dedup.filing import (
    Candidates,
    Decision,
    Existing,
    StoryKeys,
    decide,
    nearest_cluster,
    story_keys,
)
from archiver.models import Article

BODY = (
    "MOSCOW, May 16. /TASS/. Marine biologists of the Russian Arctic national park have fitted "
    "satellite tags on eleven Atlantic walruses on the islands of Franz Josef Land, the park "
    "said on Thursday. The tags will show where the animals feed and rest through the winter."
)
EDITED = BODY + " The expedition will return next summer to recover the tags."
TITLE = "Russian scientists tag walruses in Franz Josef Land"


def article(
    body: str = BODY, *, title: str = TITLE, url: str = "https://tass.com/science/1"
) -> Article:
    return Article(url=url, title=title, lead=None, body=body)


def keys(body: str = BODY, **kw: str) -> StoryKeys:
    return story_keys(article(body, **kw), kw.get("url", "https://tass.com/science/1"))


def owner(body: str = BODY, *, id: int = 7, revisions: int = 1, cluster: int = 3) -> Existing:
    return Existing(
        id=id,
        content_hash=content_hash(TITLE, None, body),
        texts=(TITLE, None, body),
        revision_count=revisions,
        cluster_id=cluster,
    )


def flip(h: int, bits: int) -> int:
    return h ^ ((1 << bits) - 1)


SH = simhash(article().text)

CASES = [
    ("nothing archived: new, a cluster of its own", keys(), Candidates(), Decision("new", None)),
    (
        "same URL, same text: unchanged, in its cluster",
        keys(),
        Candidates(owner=owner()),
        Decision("unchanged", 7, 3),
    ),
    (
        "same URL, only whitespace and quotes differ: unchanged",
        keys(BODY.replace(". ", ".  ").replace("'", "\u2019")),
        Candidates(owner=owner()),
        Decision("unchanged", 7, 3),
    ),
    (
        "same URL, a sentence added: revision 3 of the body",
        keys(EDITED),
        Candidates(owner=owner(revisions=2)),
        Decision("revision", 7, 3, ("body",), revision=3),
    ),
    (
        "same text at another URL: alias of that article",
        keys(url="https://tass.com/amp/science/1"),
        Candidates(same_text=11),
        Decision("alias", 11),
    ),
    (
        "an owner wins over a same-text article",
        keys(),
        Candidates(owner=owner(), same_text=11),
        Decision("unchanged", 7, 3),
    ),
    (
        "a near-duplicate within 7 bits: new, in its cluster",
        keys(),
        Candidates(near=((21, flip(SH, 5)),)),
        Decision("new", None, 21),
    ),
    (
        "a candidate 8 bits away: new, a cluster of its own",
        keys(),
        Candidates(near=((21, flip(SH, 8)),)),
        Decision("new", None, None),
    ),
    (
        "the nearest of several near-duplicates",
        keys(),
        Candidates(near=((21, flip(SH, 6)), (22, flip(SH, 2)), (23, flip(SH, 4)))),
        Decision("new", None, 22),
    ),
]


@pytest.mark.parametrize(("case", "story", "found", "expected"), CASES, ids=[c[0] for c in CASES])
def test_decide(case: str, story: StoryKeys, found: Candidates, expected: Decision) -> None:
    assert decide(story, found) == expected


def test_a_tighter_threshold_keeps_a_near_duplicate_apart() -> None:
    found = Candidates(near=((21, flip(SH, 5)),))
    assert decide(keys(), found, max_distance=3) == Decision("new", None, None)


def test_story_keys_are_computed_once_from_the_article() -> None:
    page = article(url="https://tass.com/science/1")
    k = story_keys(page, "https://TASS.com/science/1?utm_source=feed#top")
    assert k.url == "https://tass.com/science/1"
    assert k.fetched_key == canonical_url("https://tass.com/science/1?utm_source=feed")
    assert k.urls == ("https://tass.com/science/1",)  # the two spellings are one URL
    assert k.content_hash == content_hash(TITLE, None, BODY)
    assert k.simhash == SH
    assert len(k.bands) == 4 and all(0 <= b < 1 << 16 for b in k.bands)
    assert story_keys(page, "https://tass.com/amp/other/2").urls == (
        "https://tass.com/science/1",
        canonical_url("https://tass.com/amp/other/2"),
    )


def test_an_empty_text_has_no_cluster() -> None:
    assert nearest_cluster(0, ((1, 0),)) is None
