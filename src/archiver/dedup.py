"""Dedup keys: canonical URLs, link identities, text fingerprints and SimHash.

Everything here is pure (no I/O, no clock, no settings) and never raises on bad input.
The store/pipeline uses it like this:

* before fetching: ``link_identity(link.url, link.guid, link.title, link.published,
  guid_trusted=guids_look_stable(...), scope=source.name)`` is the key looked up in the
  archive; a hit is not fetched again (unless the listing says it changed or a revisit is due);
* after extracting: ``canonical_url(fetched.url, article.canonical_url)`` is the article's
  URL; ``content_hash(title, lead, body)`` equal to an archived article's hash at another URL
  makes the new URL an alias; ``simhash(body)`` within ``DEFAULT_MAX_DISTANCE`` of an archived
  article's SimHash joins its cluster (store ``to_signed64(h)`` and the four ``bands(h)`` in
  INTEGER columns, find candidates with ``band_probes(h)``, confirm with ``hamming``);
* on a re-fetch: ``substantive_change(old, new)`` names the fields that changed; an empty
  tuple means no new revision.
"""

from __future__ import annotations

import hashlib
import ipaddress
import itertools
import re
import unicodedata
from collections.abc import Hashable, Iterable
from datetime import UTC, datetime
from functools import lru_cache
from typing import Generic, TypeVar
from urllib.parse import SplitResult, parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import idna
from tld import get_fld
from w3lib.url import canonicalize_url

# --------------------------------------------------------------------------- canonical URLs

#: Query parameters that only track the reader; compared lower-cased.
TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "mc_cid", "mc_eid",
        "yclid", "_ga", "_gl", "ref", "ref_src", "ref_url", "cmpid", "ocid", "taid", "spm",
        "igshid", "smid", "guccounter", "_hsenc", "_hsmi", "mkt_tok", "oly_anon_id",
        "oly_enc_id", "vero_id", "__twitter_impression", "twclid", "ttclid", "s_cid",
    }
)  # fmt: skip
#: Prefixes of tracking parameters (utm_source, at_medium, pk_campaign, mtm_kwd, hsa_grp...).
TRACKING_PREFIXES = ("utm_", "at_", "pk_", "mtm_", "hsa_")
_DEFAULT_PORTS = {"http": 80, "https": 443}
_AMP_QUERY = {("amp", ""), ("amp", "1"), ("amp", "true"), ("outputtype", "amp")}
_AMP_CACHE_SUFFIX = ".cdn.ampproject.org"
# second-level labels under which a country TLD sells names (co.uk, com.tr, co.kr, ne.jp...)
_SECOND_LEVEL = frozenset({"co", "com", "net", "org", "gov", "edu", "ac", "or", "ne", "go"})


def canonical_url(url: str, page_canonical: str | None = None) -> str:
    """The one URL a story is kept under.

    Rules, in order: scheme and host lower-cased, host IDNA-encoded (punycode), user info,
    default ports (80/443), trailing host dot and fragment dropped; an empty path becomes
    ``/``; AMP variants folded (Google AMP cache URLs unwrapped, an ``amp.`` subdomain, an
    ``amp`` path segment anywhere, ``.amp.html`` -> ``.html``, ``?amp``/``?amp=1``/
    ``?outputType=amp``); tracking parameters dropped (``TRACKING_PARAMS``,
    ``TRACKING_PREFIXES``); the rest of the query sorted and percent-encoding normalised
    (w3lib ``canonicalize_url``).

    ``page_canonical`` (the page's ``<link rel=canonical>``, relative or absolute) wins when
    it is an http(s) URL on the same registrable domain (``registrable_domain``: www./amp./
    other subdomains and co.uk-style suffixes handled offline) and does not point at the
    site's home page while ``url`` does not (a common CMS bug). Otherwise it is ignored.

    Never raises: input that is not an absolute http(s) URL comes back stripped.
    """
    text = url.strip() if isinstance(url, str) else ""
    base = _canonical(text)
    if base is None:
        return text
    if page_canonical and isinstance(page_canonical, str):
        try:
            candidate = _canonical(urljoin(text, page_canonical.strip()))
        except ValueError:
            candidate = None
        if (
            candidate is not None
            and _same_site(base, candidate)
            and (urlsplit(candidate).path != "/" or urlsplit(base).path == "/")
        ):
            return candidate
    return base


def registrable_domain(host: str) -> str:
    """The domain a site owner registered (``news.bbc.co.uk`` -> ``bbc.co.uk``).

    Uses the public-suffix list bundled with the ``tld`` package (no download); IP
    addresses and single-label hosts are their own domain; unknown suffixes fall back to the
    last two labels (three under co./com./ne.-style second levels of a two-letter TLD).
    """
    host = host.strip().lower().rstrip(".")
    return _registrable(host)


@lru_cache(maxsize=4096)
def _registrable(host: str) -> str:
    if not host or "." not in host or _is_ip(host):
        return host
    try:
        found = get_fld(host, fix_protocol=True, fail_silently=True)
    except Exception:  # tld raises its own types on odd input
        found = None
    if found:
        return str(found)
    labels = host.split(".")
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL:
        return ".".join(labels[-3:])
    return ".".join(labels[-2:])


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _same_site(a: str, b: str) -> bool:
    host_a, host_b = urlsplit(a).hostname or "", urlsplit(b).hostname or ""
    return bool(host_a) and _registrable(host_a) == _registrable(host_b)


def _canonical(text: str) -> str | None:
    """Canonical form of an absolute http(s) URL, or None when ``text`` is not one."""
    try:
        parts = urlsplit(text)
        scheme = parts.scheme.lower()
        if scheme not in _DEFAULT_PORTS or not parts.hostname:
            return None
        parts = _unwrap_amp_cache(parts, scheme)
        scheme = parts.scheme.lower()
        host = _idna(parts.hostname or "")
        if not host:
            return None
        if host.startswith("amp.") and host.count(".") >= 2:
            host = host[4:]
        port = parts.port  # ValueError on a bad port
        netloc = f"[{host}]" if ":" in host else host
        if port is not None and port != _DEFAULT_PORTS[scheme]:
            netloc = f"{netloc}:{port}"
        path = _fold_amp_path(parts.path) or "/"
        query = _clean_query(parts.query)
        rebuilt = urlunsplit((scheme, netloc, path, query, ""))
        return canonicalize_url(rebuilt, keep_fragments=False)
    except Exception:  # garbage of every kind: the caller keeps the stripped input
        return None


def _idna(hostname: str) -> str:
    host = hostname.strip().rstrip(".").lower()
    if host.isascii():
        return host
    try:
        return idna.encode(host, uts46=True).decode("ascii")
    except idna.IDNAError:
        return host.encode("idna").decode("ascii")


def _unwrap_amp_cache(parts: SplitResult, scheme: str) -> SplitResult:
    """``www-x-com.cdn.ampproject.org/c/s/www.x.com/a`` and ``google.com/amp/s/...``."""
    host = (parts.hostname or "").lower()
    path = parts.path
    inner: str | None = None
    if host.endswith(_AMP_CACHE_SUFFIX):
        match = re.match(r"^/[cvi]/(s/)?(.+)$", path)
        if match:
            inner = ("https://" if match.group(1) else "http://") + match.group(2)
    elif re.match(r"^(www\.)?google\.[a-z.]+$", host) and path.startswith("/amp/"):
        rest = path[len("/amp/") :]
        inner = "https://" + rest[2:] if rest.startswith("s/") else "http://" + rest
    if inner is None:
        return parts
    if parts.query:
        inner = f"{inner}?{parts.query}"
    return urlsplit(inner)


def _fold_amp_path(path: str) -> str:
    segments = path.split("/")
    kept = [seg for seg in segments if seg.lower() != "amp"]
    folded = "/".join(kept)
    folded = re.sub(r"\.amp\.html?$", ".html", folded, flags=re.IGNORECASE)
    folded = re.sub(r"\.amp$", "", folded, flags=re.IGNORECASE)
    if path.startswith("/") and not folded.startswith("/"):
        folded = "/" + folded
    return folded


def _is_tracking(key: str) -> bool:
    low = key.lower()
    return low in TRACKING_PARAMS or low.startswith(TRACKING_PREFIXES)


def _clean_query(query: str) -> str:
    if not query:
        return ""
    pairs = parse_qsl(query, keep_blank_values=True)
    kept = [
        (key, value)
        for key, value in pairs
        if not _is_tracking(key) and (key.lower(), value.lower()) not in _AMP_QUERY
    ]
    return urlencode(kept)


# --------------------------------------------------------------------------- link identity


def guids_look_stable(guids: Iterable[str | None]) -> bool:
    """Whether a listing's GUIDs can identify its items: some given, and all distinct.

    Pass every GUID of one listing. A feed that repeats one GUID on every item (or on
    several) is not trusted; the caller may also distrust a source whose GUIDs changed
    between two polls of the same URL.
    """
    present = [g.strip() for g in guids if g and g.strip()]
    return bool(present) and len(set(present)) == len(present)


def link_identity(
    url: str,
    guid: str | None,
    title: str | None,
    published: datetime | None,
    *,
    guid_trusted: bool = True,
    scope: str | None = None,
) -> str:
    """The key a listing entry is known by, with a prefix telling which rule gave it.

    Fallback order:

    1. ``url:<canonical URL>`` when ``url`` is an absolute http(s) URL (``canonical_url``).
    2. ``url:<canonical GUID>`` when the GUID itself is an http(s) URL (an RSS permalink),
       so it meets the same article found by URL; trackers and AMP are folded out of it.
    3. ``guid:<scope>:<GUID>`` when ``guid_trusted`` (the caller's ``guids_look_stable`` on
       the whole listing) and the GUID is non-blank and at most 1,000 characters. GUIDs are
       only unique within a feed, hence the ``scope`` (pass the source name).
    4. ``hash:<scope>:<sha256>`` of the normalised, case-folded title and the UTC
       publication time (to the second), when either is known.
    5. ``raw:<sha256>`` of the stripped url and GUID strings, when there is nothing else.
    """
    canonical = _canonical(url.strip()) if isinstance(url, str) else None
    if canonical is not None:
        return f"url:{canonical}"
    prefix = f"{scope}:" if scope else ""
    guid_text = guid.strip() if guid else ""
    if guid_text:
        guid_url = _canonical(guid_text)
        if guid_url is not None:
            return f"url:{guid_url}"
        if guid_trusted and len(guid_text) <= 1000:
            return f"guid:{prefix}{guid_text}"
    if (title and title.strip()) or published is not None:
        when = ""
        if published is not None:
            aware = published if published.tzinfo else published.replace(tzinfo=UTC)
            when = aware.astimezone(UTC).replace(microsecond=0).isoformat()
        key = f"{normalize_text(title or '').casefold()}\x1f{when}"
        return f"hash:{prefix}{_sha256(key)}"
    raw = f"{url.strip() if isinstance(url, str) else ''}\x1f{guid_text}"
    return f"raw:{_sha256(raw)}"


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


# --------------------------------------------------------------------------- text identity

_CHAR_MAP = str.maketrans(
    {
        **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u2035\u2039\u203a`\u00b4", "'"),
        **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033\u2036\u00ab\u00bb", '"'),
        **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d", "-"),
        **dict.fromkeys("\u200b\u200c\u200d\u2060\ufeff\u00ad", None),
    }
)
_MONTHS = (
    "jan|january|feb|february|mar|march|apr|april|may|jun|june|jul|july|aug|august|sep|"
    "sept|september|oct|october|nov|november|dec|december|"
    "января|февраля|марта|апреля|мая|июня|июля|августа|сентября|октября|ноября|декабря"
)
_DAYS = "mon|monday|tue|tues|tuesday|wed|wednesday|thu|thur|thurs|thursday|fri|friday|sat|"
_DAYS += "saturday|sun|sunday"
_ZONES = (
    "gmt|utc|z|bst|cet|cest|eet|eest|msk|мск|est|edt|cst|cdt|mst|mdt|pst|pdt|et|pt|kst|jst|"
    "ist|trt|aest|aedt|hkt|sgt|wib"
)
_TS_LABEL = re.compile(
    r"^\s*(?:last\s+|first\s+)?(?:updated|update|modified|published|posted|edited|"
    r"обновлено|опубликовано|изменено)\b\s*(?:on|at)?\s*:?",
)
_TS_TOKEN = re.compile(
    rf"\b(?:{_MONTHS}|{_DAYS}|{_ZONES}|am|pm|ago|just|now|on|at|in|of|the|"
    r"seconds?|secs?|minutes?|mins?|hours?|hrs?|h|days?|г|года|в|"
    r"t?\d{1,4}(?:st|nd|rd|th)?)\b"
)
_TS_TIME = re.compile(r"\d{1,2}[:.]\d{2}|\bago\b")


def _is_timestamp_line(line: str) -> bool:
    """``Updated 10:42 GMT``, ``Last updated: 30 Jan 2024, 14:05``, ``2 hours ago``."""
    low = line.strip().casefold()
    if not low or len(low) > 100 or not any(ch.isdigit() for ch in low):
        return False
    label = _TS_LABEL.match(low)
    if label is None and not _TS_TIME.search(low):
        return False
    rest = low[label.end() :] if label else low
    rest = _TS_TOKEN.sub(" ", rest.replace("a.m.", "am").replace("p.m.", "pm"))
    return re.search(r"\w", rest) is None


def normalize_text(text: str | None) -> str:
    """Text reduced to its substance, for hashing and comparing.

    NFKC (full-width forms, ligatures, no-break spaces), curly/angle quotes to straight,
    every dash and minus to ``-``, zero-width characters and soft hyphens removed, lines
    that are only a timestamp (``Updated 10:42 GMT``, ``Last updated: ...``, ``5 hours
    ago``) dropped, all whitespace (line breaks included) folded to single spaces. Case is
    kept.
    """
    if not text:
        return ""
    norm = unicodedata.normalize("NFKC", text).translate(_CHAR_MAP)
    lines = [line for line in norm.splitlines() if not _is_timestamp_line(line)]
    return " ".join(" ".join(lines).split())


def content_hash(title: str | None, lead: str | None, body: str | None) -> str:
    """sha256 hex of the normalised title, lead and body (fields kept apart)."""
    joined = "\x1f".join(normalize_text(part) for part in (title, lead, body))
    return _sha256(joined)


_FIELDS = ("title", "lead", "body")


def substantive_change(
    old: tuple[str | None, str | None, str | None],
    new: tuple[str | None, str | None, str | None],
) -> tuple[str, ...]:
    """Which of ``("title", "lead", "body")`` changed in substance, in that order.

    ``()`` means the versions are the same once normalised (whitespace, quote and dash
    styles, no-break spaces, zero-width characters, timestamp lines): no new revision.
    """
    return tuple(
        name
        for name, before, after in zip(_FIELDS, old, new, strict=True)
        if normalize_text(before) != normalize_text(after)
    )


# --------------------------------------------------------------------------- SimHash

#: Default near-duplicate threshold (Hamming distance on 64 bits, inclusive). Chosen on
#: word 3-gram SimHashes of wire copy: the same story re-filed with one sentence added or
#: extended lands at 2-8 bits (mean ~5 on 250-word stories, ~4 on 700-word ones), while
#: different stories, same topic included, land at 18-36 (85 real pages of the corpus: the
#: closest two different stories are 18 apart). 7 is the widest threshold that 4 bands of 16
#: bits still cover with one-bit probes (see ``band_probes``); ~85-95% of one-sentence
#: re-files match, a random pair of different stories matches with p ~ 3e-11.
DEFAULT_MAX_DISTANCE = 7
SHINGLE = 3
BAND_COUNT = 4
BAND_BITS = 16
_MASK64 = (1 << 64) - 1
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(rf"[{_CJK}]|[^\W{_CJK}]+")  # a CJK character is a token by itself
# _BIT_PLANES[i] maps a byte to its bit i counted from the most significant (0 or 1)
_BIT_PLANES = tuple(bytes((b >> (7 - i)) & 1 for b in range(256)) for i in range(8))


def tokens(text: str) -> list[str]:
    """Case-folded word tokens of the normalised text (each CJK character one token)."""
    return _TOKEN.findall(normalize_text(text).casefold())


def simhash(text: str) -> int:
    """64-bit SimHash (unsigned) of the text's word 3-gram shingles.

    Each shingle is hashed with blake2b (8 bytes); a shingle occurring n times votes n
    times. Texts under three words hash their words as one shingle; empty text is 0.
    """
    words = tokens(text)
    if not words:
        return 0
    if len(words) < SHINGLE:
        shingles = [" ".join(words)]
    else:
        shingles = [" ".join(words[i : i + SHINGLE]) for i in range(len(words) - SHINGLE + 1)]
    digests = b"".join(
        hashlib.blake2b(s.encode("utf-8", "surrogatepass"), digest_size=8).digest()
        for s in shingles
    )
    # count, for each of the 64 bit positions, the shingles with that bit set: one
    # translate per bit-in-byte, then strided slices per byte (all in C)
    planes = [digests.translate(table) for table in _BIT_PLANES]
    half = len(shingles) / 2
    value = 0
    for byte in range(8):  # most significant first, as int.from_bytes(digest, "big")
        for plane in planes:
            value = (value << 1) | (plane[byte::8].count(1) > half)
    return value


def hamming(a: int, b: int) -> int:
    """Differing bits of two 64-bit hashes (signed or unsigned forms both accepted)."""
    return ((a ^ b) & _MASK64).bit_count()


def to_signed64(h: int) -> int:
    """Unsigned 64-bit hash -> the signed value SQLite's INTEGER can hold."""
    h &= _MASK64
    return h - (1 << 64) if h >= 1 << 63 else h


def from_signed64(v: int) -> int:
    """Inverse of ``to_signed64``."""
    return v & _MASK64


def bands(h: int) -> tuple[int, int, int, int]:
    """The four 16-bit blocks of a hash, most significant first (store them as columns)."""
    h &= _MASK64
    return (h >> 48 & 0xFFFF, h >> 32 & 0xFFFF, h >> 16 & 0xFFFF, h & 0xFFFF)


@lru_cache(maxsize=8)
def _flip_masks(radius: int) -> tuple[int, ...]:
    masks = [0]
    for count in range(1, radius + 1):
        for combo in itertools.combinations(range(BAND_BITS), count):
            masks.append(sum(1 << bit for bit in combo))
    return tuple(masks)


def band_probes(
    h: int, max_distance: int = DEFAULT_MAX_DISTANCE
) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """Band values to look up so that no hash within ``max_distance`` is missed.

    Pigeonhole: if two hashes differ in at most d bits, one of the 4 blocks differs in at
    most d // 4 bits. So each band's probe set is its value and every value within
    d // 4 flipped bits (1 value for d <= 3, 17 for d <= 7, 137 for d <= 11). In SQL::

        SELECT id, simhash FROM t WHERE b0 IN (...) OR b1 IN (...) OR b2 IN (...) OR b3 IN (...)

    then keep the rows with ``hamming(h, simhash) <= max_distance`` (one index per column).
    """
    masks = _flip_masks(max(0, max_distance) // BAND_COUNT)
    b0, b1, b2, b3 = bands(h)
    return (
        tuple(b0 ^ m for m in masks),
        tuple(b1 ^ m for m in masks),
        tuple(b2 ^ m for m in masks),
        tuple(b3 ^ m for m in masks),
    )


K = TypeVar("K", bound=Hashable)


class SimhashIndex(Generic[K]):
    """In-memory near-duplicate index over 64-bit SimHashes (4 bands of 16 bits).

    The same lookup the store does with ``bands``/``band_probes`` in SQL, for batch jobs,
    benchmarks and tests. Not thread-safe; ids are any hashable values.
    """

    def __init__(self, max_distance: int = DEFAULT_MAX_DISTANCE) -> None:
        self.max_distance = max_distance
        self._hashes: dict[K, int] = {}
        self._tables: tuple[dict[int, set[K]], ...] = tuple({} for _ in range(BAND_COUNT))

    def __len__(self) -> int:
        return len(self._hashes)

    def add(self, id: K, h: int) -> None:
        """Index ``h`` under ``id`` (replacing what ``id`` had)."""
        if id in self._hashes:
            self.remove(id)
        h &= _MASK64
        self._hashes[id] = h
        for table, value in zip(self._tables, bands(h), strict=True):
            table.setdefault(value, set()).add(id)

    def remove(self, id: K) -> None:
        h = self._hashes.pop(id, None)
        if h is None:
            return
        for table, value in zip(self._tables, bands(h), strict=True):
            members = table[value]
            members.discard(id)
            if not members:
                del table[value]

    def near(self, h: int, max_distance: int | None = None) -> list[K]:
        """Ids whose hash is within ``max_distance`` of ``h``, nearest first."""
        limit = self.max_distance if max_distance is None else max_distance
        h &= _MASK64
        candidates: set[K] = set()
        for table, probes in zip(self._tables, band_probes(h, limit), strict=True):
            for value in probes:
                found = table.get(value)
                if found:
                    candidates.update(found)
        scored = [(hamming(h, self._hashes[c]), c) for c in candidates]
        scored = [pair for pair in scored if pair[0] <= limit]
        scored.sort(key=lambda pair: pair[0])
        return [c for _, c in scored]
