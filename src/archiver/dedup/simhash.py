"""SimHash of word 3-grams, its four 16-bit bands and the probes that find near-duplicates."""

from __future__ import annotations

import hashlib
import itertools
import re
from functools import lru_cache

from archiver.dedup.fingerprints import normalize_text

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
