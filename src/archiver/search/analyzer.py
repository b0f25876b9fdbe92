"""The search analyzer: text + language -> index terms; a query word + languages -> alternatives.

Pure and deterministic; the store runs it when it writes an article, search runs it on what
people type, so both sides always agree. What it does to a text:

* cuts it into runs of letters, digits and marks (``regex``'s ``\\p{L}\\p{N}\\p{M}``), so
  apostrophes, hyphens and punctuation separate words (``Ankara'da`` -> ``ankara`` ``da``);
* Chinese, Japanese and Korean runs become overlapping character bigrams (``外交部`` ->
  ``外交 交部``; a lone character stays a unigram), the approach of Lucene's CJK analyzer: a
  word typed inside running text is then found as the phrase of its bigrams;
* other words: NFKC, case folding (Turkish dotted/dotless i kept apart before folding),
  Snowball stemming (PyStemmer) in the article's language, then diacritic folding
  (``é`` -> ``e``, ``ё`` -> ``е``, ``ı`` -> ``i``, Arabic harakat dropped);
* a stemmed term carries its language (``переговор_ru``): a stem is a word of one language,
  so an Italian ``governo`` does not find English ``government``. Numbers, CJK bigrams and
  words of languages without a stemmer are untagged and shared by every language.

The index holds these terms separated by spaces; FTS5's ``ascii`` tokenizer (with ``_`` as a
token character) splits them back without changing them, so the archive needs no custom
tokenizer to open in any SQLite tool.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from typing import NamedTuple

import regex
import Stemmer

#: the FTS5 tokenizer of the analyzed index: splits at spaces, keeps our terms as they are
FTS_TOKENIZE = "ascii tokenchars _"
TAG = "_"

#: ISO 639-1 code -> Snowball algorithm (PyStemmer)
STEMMERS = {
    "ar": "arabic",
    "hy": "armenian",
    "eu": "basque",
    "ca": "catalan",
    "cs": "czech",
    "da": "danish",
    "nl": "dutch",
    "en": "english",
    "eo": "esperanto",
    "et": "estonian",
    "fi": "finnish",
    "fr": "french",
    "de": "german",
    "el": "greek",
    "hi": "hindi",
    "hu": "hungarian",
    "id": "indonesian",
    "ga": "irish",
    "it": "italian",
    "lt": "lithuanian",
    "ne": "nepali",
    "no": "norwegian",
    "nb": "norwegian",
    "nn": "norwegian",
    "fa": "persian",
    "pl": "polish",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "sr": "serbian",
    "es": "spanish",
    "sv": "swedish",
    "ta": "tamil",
    "tr": "turkish",
    "yi": "yiddish",
}
_AVAILABLE = set(Stemmer.algorithms())
STEMMERS = {code: name for code, name in STEMMERS.items() if name in _AVAILABLE}

_CJK = (
    "\u1100-\u11ff\u2e80-\u2fdf\u3005-\u3007\u3021-\u3029\u3031-\u3035\u3040-\u30ff"
    "\u3130-\u318f\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7af"
    "\ud7b0-\ud7ff\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003134f"
)
_RUN_RE = regex.compile(r"[\p{L}\p{N}\p{M}]+")
_CJK_CHAR_RE = regex.compile(rf"[{_CJK}]")
_CJK_SPLIT_RE = regex.compile(rf"([{_CJK}]+)")
_MARKS_RE = regex.compile(r"[\u0300-\u036f\u064b-\u065f\u0670]")
_LETTERS = str.maketrans({"ı": "i", "ł": "l", "ø": "o", "đ": "d", "ħ": "h", "ŀ": "l"})


class Token(NamedTuple):
    """One index term and where its text is in the analyzed string."""

    term: str
    start: int
    end: int


def language_key(language: str | None) -> str | None:
    """``en-US``, ``ru_RU``, ``ZH`` -> ``en``, ``ru``, ``zh``; None when there is none."""
    if not language:
        return None
    code = language.strip().lower().replace("_", "-").split("-")[0]
    return code if code.isalpha() and 2 <= len(code) <= 3 else None


def stem_tag(language: str | None) -> str | None:
    """The tag of the stemmed terms of ``language``, None when it has no stemmer."""
    key = language_key(language)
    return key if key in STEMMERS else None


@lru_cache(maxsize=64)
def _stemmer(tag: str) -> Stemmer.Stemmer:
    return Stemmer.Stemmer(STEMMERS[tag])


def _lower(word: str, tag: str | None) -> str:
    word = unicodedata.normalize("NFKC", word)
    if tag in ("tr", "az"):
        word = word.replace("I", "ı").replace("İ", "i")
    return word.casefold()


def fold(term: str) -> str:
    """Diacritics off a (lower-case) term: ``é`` -> ``e``, ``ё`` -> ``е``, ``ı`` -> ``i``."""
    if term.isascii():
        return term
    decomposed = unicodedata.normalize("NFD", term.translate(_LETTERS))
    return unicodedata.normalize("NFC", _MARKS_RE.sub("", decomposed))


def _bigrams(run: str, start: int) -> Iterator[Token]:
    run = unicodedata.normalize("NFKC", run) if not run.isascii() else run
    if len(run) == 1:
        yield Token(run, start, start + 1)
        return
    for i in range(len(run) - 1):
        yield Token(run[i : i + 2], start + i, start + i + 2)


@lru_cache(maxsize=200_000)
def _term(word: str, tag: str | None, stem: bool = True) -> str:
    """One word's index term (cached: news vocabularies repeat). ``stem=False``: the word
    itself as a term of its language, for queries (a dictionary form is often the stem of
    its inflections where Snowball cuts it shorter: ``ciudad`` / ``ciudades``)."""
    lowered = _lower(word, tag)
    if tag is None:
        return fold(lowered)
    stemmed = _stemmer(tag).stemWord(lowered) if stem else lowered
    return fold(stemmed) if stemmed.isdigit() else fold(stemmed) + TAG + tag


def _pieces(run: str, start: int) -> Iterator[tuple[bool, int, str]]:
    """A run of word characters as (is CJK, start, text) pieces."""
    if run.isascii() or _CJK_CHAR_RE.search(run) is None:
        yield False, start, run
        return
    pos = start
    for i, piece in enumerate(_CJK_SPLIT_RE.split(run)):
        if piece:
            yield i % 2 == 1, pos, piece
        pos += len(piece)


def tokens(text: str, language: str | None, *, stem: bool = True) -> list[Token]:
    """The terms of ``text`` with their character spans (for snippets and highlighting)."""
    tag = stem_tag(language)
    out: list[Token] = []
    for m in _RUN_RE.finditer(text):
        run = m.group()
        if run.isascii() or _CJK_CHAR_RE.search(run) is None:
            out.append(Token(_term(run, tag, stem), m.start(), m.end()))
            continue
        for cjk, start, piece in _pieces(run, m.start()):
            if cjk:
                out.extend(_bigrams(piece, start))
            else:
                out.append(Token(_term(piece, tag, stem), start, start + len(piece)))
    return out


_CACHES: dict[str | None, dict[str, str]] = {}
_CACHE_SIZE = 200_000


def _terms(runs: list[str], tag: str | None) -> list[str]:
    """``_term`` over many words through a plain per-language dict (the write path's hot loop)."""
    cache = _CACHES.setdefault(tag, {})
    if len(cache) > _CACHE_SIZE:
        cache.clear()
    out = list(map(cache.get, runs))  # a C loop; the misses are filled below
    if None in out:
        for i, term in enumerate(out):
            if term is None:
                out[i] = cache[runs[i]] = _term(runs[i], tag)
    return out  # type: ignore[return-value]


def analyze(text: str | None, language: str | None) -> str:
    """The index text of ``text``: its terms in order, separated by spaces."""
    if not text:
        return ""
    tag = stem_tag(language)
    runs = _RUN_RE.findall(text)
    if _CJK_CHAR_RE.search(text) is None:  # the common case: no CJK anywhere
        return " ".join(_terms(runs, tag))
    parts: list[str] = []
    for run in runs:
        if _CJK_CHAR_RE.search(run) is None:
            parts.append(_term(run, tag))
            continue
        for cjk, _, piece in _pieces(run, 0):
            if cjk:
                parts.extend(t.term for t in _bigrams(piece, 0))
            else:
                parts.append(_term(piece, tag))
    return " ".join(parts)


def is_cjk(text: str) -> bool:
    """Whether ``text`` holds a Chinese, Japanese or Korean character."""
    return _CJK_CHAR_RE.search(text) is not None


def alternatives(word: str, languages: Iterable[str | None]) -> tuple[tuple[str, ...], ...]:
    """What a typed word or phrase may be in the index: one term sequence (a phrase) per
    language it is analyzed in, and per stemmed language the word itself as a stem (the
    dictionary form that Snowball cuts shorter than its inflections), without repeats.
    ``languages`` are the archive's (stored codes); the untagged reading (no stemmer) is
    always among them."""
    tags = sorted({stem_tag(lang) or "" for lang in languages} | {""})
    seen: dict[tuple[str, ...], None] = {}
    for tag in tags:
        for stem in (True, False) if tag else (True,):
            phrase = tuple(t.term for t in tokens(word, tag or None, stem=stem))
            if phrase:
                seen.setdefault(phrase, None)
    return tuple(seen)


def prefix_alternatives(
    prefix: str, languages: Iterable[str | None]
) -> tuple[tuple[str, ...], ...]:
    """Exact terms a ``prefix*`` also stands for: the stem of the prefix in each language
    when stemming cut it shorter (``negotiat*`` -> ``negoti_en``), beside the plain prefix."""
    out: dict[tuple[str, ...], None] = {}
    for tag in sorted({t for t in map(stem_tag, languages) if t is not None}):
        phrase = tuple(t.term for t in tokens(prefix, tag))
        plain = tuple(t.term for t in tokens(prefix, None))
        if phrase and len(phrase) == len(plain):
            last = phrase[-1].removesuffix(TAG + tag)
            if len(last) >= 3 and len(last) < len(plain[-1]):
                out.setdefault(phrase, None)
    return tuple(out)


def terms_of(analyzed: Sequence[str]) -> set[str]:
    """The distinct terms of index texts (``analyze`` output)."""
    return {t for text in analyzed for t in text.split()}
