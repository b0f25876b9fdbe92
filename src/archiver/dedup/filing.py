"""The filing decision: is a page new, a revision, unchanged, an alias, and which story cluster.

Pure: ``story_keys`` computes a page's keys once (canonical URL, the fetched URL's key,
content hash, SimHash and its bands); the store loads the ``Candidates`` those keys point
at; ``decide`` turns keys and candidates into a ``Decision`` without touching a database,
a clock or a setting (the model is lemon24/reader's ``Decider``). The store then applies
the decision. In this order:

1. one of the page's URLs (canonical or as fetched) is already an article's: a re-fetch.
   If the text changed in substance (``substantive_change``) it is a revision and the
   article row shows the latest; otherwise it is unchanged (only ``last_seen`` moves).
2. another article has the same content hash: the URL becomes an alias of that article.
3. otherwise a new article; a near-duplicate (SimHash within ``max_distance`` bits) puts
   it in that article's story cluster, the nearest one if several are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from archiver.dedup.fingerprints import content_hash, substantive_change
from archiver.dedup.simhash import DEFAULT_MAX_DISTANCE, band_probes, bands, hamming, simhash
from archiver.dedup.urls import canonical_url
from archiver.models import Article

FilingOutcome = Literal["new", "revision", "unchanged", "alias"]
#: title, lead and body, the fields whose change makes a revision
Texts = tuple[str | None, str | None, str | None]


@dataclass(frozen=True, slots=True)
class StoryKeys:
    """What a page is filed by, computed once per page."""

    url: str  # where the story is filed: its canonical URL
    fetched_key: str | None  # the canonical form of the URL it was fetched from
    content_hash: str
    simhash: int
    bands: tuple[int, int, int, int]
    texts: Texts

    @property
    def urls(self) -> tuple[str, ...]:
        """The page's URLs, canonical first, without repeats."""
        return tuple(u for u in dict.fromkeys((self.url, self.fetched_key)) if u)

    def probes(self, max_distance: int = DEFAULT_MAX_DISTANCE) -> tuple[tuple[int, ...], ...]:
        """Band values a near-duplicate within ``max_distance`` bits must share one of."""
        return band_probes(self.simhash, max_distance)


def story_keys(article: Article, fetched_url: str | None = None) -> StoryKeys:
    """The keys of ``article`` (whose ``url`` is already its canonical URL), fetched from
    ``fetched_url``."""
    h = simhash(article.text)
    return StoryKeys(
        url=article.url,
        fetched_key=canonical_url(fetched_url) if fetched_url else None,
        content_hash=content_hash(article.title, article.lead, article.body),
        simhash=h,
        bands=bands(h),
        texts=(article.title, article.lead, article.body),
    )


@dataclass(frozen=True, slots=True)
class Existing:
    """The archived article that owns one of the page's URLs, as the decision needs it."""

    id: int
    content_hash: str | None
    texts: Texts
    revision_count: int
    cluster_id: int | None


@dataclass(frozen=True, slots=True)
class Candidates:
    """What the store found for a page's keys (it may stop loading once one is found)."""

    owner: Existing | None = None  # the article one of ``keys.urls`` belongs to
    same_text: int | None = None  # an article with the same content hash
    near: tuple[tuple[int, int], ...] = ()  # (cluster_id, simhash) sharing a band probe


@dataclass(frozen=True, slots=True)
class Decision:
    """How to file a page. ``article_id`` is None for a new article (the INSERT gives it);
    ``cluster_id`` None for a new article means a cluster of its own."""

    outcome: FilingOutcome
    article_id: int | None
    cluster_id: int | None = None
    changed: tuple[str, ...] = ()
    revision: int = 1  # the number of the revision a "new" or "revision" adds


def decide(
    keys: StoryKeys, found: Candidates, *, max_distance: int = DEFAULT_MAX_DISTANCE
) -> Decision:
    """File a page with ``keys`` given what the archive holds; see the module docstring."""
    owner = found.owner
    if owner is not None:
        changed = (
            ()
            if owner.content_hash == keys.content_hash
            else substantive_change(owner.texts, keys.texts)
        )
        if not changed:
            return Decision("unchanged", owner.id, owner.cluster_id)
        return Decision(
            "revision", owner.id, owner.cluster_id, changed, revision=owner.revision_count + 1
        )
    if found.same_text is not None:
        return Decision("alias", found.same_text)
    return Decision("new", None, nearest_cluster(keys.simhash, found.near, max_distance))


def nearest_cluster(
    h: int, near: tuple[tuple[int, int], ...], max_distance: int = DEFAULT_MAX_DISTANCE
) -> int | None:
    """The cluster of the nearest candidate within ``max_distance`` bits of ``h`` (the first
    listed wins a tie); None when there is none or ``h`` is empty."""
    if h == 0:
        return None
    best: tuple[int, int] | None = None
    for cluster_id, other in near:
        distance = hamming(h, other)
        if distance <= max_distance and (best is None or distance < best[0]):
            best = (distance, cluster_id)
    return best[1] if best else None
