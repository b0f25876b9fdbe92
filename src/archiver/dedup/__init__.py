"""Dedup: canonical URLs, link identities, text fingerprints, SimHash, and the filing decision.

Everything here is pure (no I/O, no clock, no settings) and never raises on bad input:

* before fetching: ``link_identity(link.url, link.guid, link.title, link.published,
  guid_trusted=guids_look_stable(...), scope=source.name)`` is the key looked up in the
  archive; a hit is not fetched again (unless the listing says it changed or a revisit is due);
* after extracting: ``story_keys(article, fetched_url)`` computes a page's keys once
  (canonical URL, content hash, SimHash and its bands), and ``decide(keys, candidates)``
  files it as new, a revision, unchanged or an alias, and names its story cluster.
"""

from __future__ import annotations

from archiver.dedup.filing import Candidates, Decision, Existing, StoryKeys, decide, story_keys
from archiver.dedup.fingerprints import content_hash, normalize_text, substantive_change
from archiver.dedup.identity import guids_look_stable, link_identity
from archiver.dedup.simhash import (
    DEFAULT_MAX_DISTANCE,
    band_probes,
    bands,
    from_signed64,
    hamming,
    simhash,
    to_signed64,
)
from archiver.dedup.urls import canonical_url, registrable_domain

__all__ = [
    "DEFAULT_MAX_DISTANCE",
    "Candidates",
    "Decision",
    "Existing",
    "StoryKeys",
    "band_probes",
    "bands",
    "canonical_url",
    "content_hash",
    "decide",
    "from_signed64",
    "guids_look_stable",
    "hamming",
    "link_identity",
    "normalize_text",
    "registrable_domain",
    "simhash",
    "story_keys",
    "substantive_change",
    "to_signed64",
]
