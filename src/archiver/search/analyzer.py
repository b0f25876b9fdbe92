"""The search analyzer: text + language -> index terms; a query word + languages -> alternatives.

Pure and deterministic; the store runs it when it writes an article, search runs it on what
people type, so both sides always agree. What it does to a text:

* cuts it into runs of letters, digits and marks (Unicode categories L, N and M), so
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

* each word is first brought to its dictionary form (``lexicon``: spaCy's lemma tables,
  ``blieb`` -> ``bleiben``, ``toplantılar`` -> ``toplantı``), then stemmed, so the forms of
  one word that a stemmer alone keeps apart (ablaut, participles) share a term.

Each indexed text is followed by its words as written (case and diacritics folded, neither
lemmatized nor stemmed), each marked with a leading ``_`` (``_verhandlungen``): the exact
section, which a quoted phrase is matched against, so ``"Verhandlungen in Genf"`` finds those
words in that order and not ``Verhandlung in Genf``. The marked terms never meet the analyzed
ones (a query is one or the other), so a phrase cannot straddle the two sections.

The index holds these terms separated by spaces; FTS5's ``ascii`` tokenizer (with ``_`` as a
token character) splits them back without changing them, so the archive needs no custom
tokenizer to open in any SQLite tool.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from importlib import metadata
from typing import NamedTuple

import Stemmer

from archiver.search import lexicon
from archiver.search.lexicon import lower as _lower

try:
    _STEMMER_VERSION = metadata.version("PyStemmer")
except metadata.PackageNotFoundError:  # pragma: no cover - a declared dependency
    _STEMMER_VERSION = "?"

#: the FTS5 tokenizer of the analyzed index: splits at spaces, keeps our terms as they are
FTS_TOKENIZE = "ascii tokenchars _"
TAG = "_"
#: the mark of a term as written (the exact section), put before it
EXACT = "_"
#: what the index holds changes with this (an archive indexed by another is re-indexed)
VERSION = f"3 lexicon {lexicon.VERSION} stemmer {_STEMMER_VERSION}"

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
#: the stemmed languages whose words are lemmatized first (``lexicon``)
LEMMA_LANGUAGES = frozenset(STEMMERS) & lexicon.languages()

_CJK = (
    "\u1100-\u11ff\u2e80-\u2fdf\u3005-\u3007\u3021-\u3029\u3031-\u3035\u3040-\u30ff"
    "\u3130-\u318f\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7af"
    "\ud7b0-\ud7ff\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003134f"
)


# the combining marks of the BMP (categories Mn, Mc, Me; Unicode 14.0.0)
_MARKS = (
    "\u0300-\u036f\u0483-\u0489\u0591-\u05bd\u05bf\u05c1-\u05c2\u05c4-\u05c5\u05c7"
    "\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e4\u06e7-\u06e8"
    "\u06ea-\u06ed\u0711\u0730-\u074a\u07a6-\u07b0\u07eb-\u07f3\u07fd\u0816-\u0819"
    "\u081b-\u0823\u0825-\u0827\u0829-\u082d\u0859-\u085b\u0898-\u089f\u08ca-\u08e1"
    "\u08e3-\u0903\u093a-\u093c\u093e-\u094f\u0951-\u0957\u0962-\u0963\u0981-\u0983"
    "\u09bc\u09be-\u09c4\u09c7-\u09c8\u09cb-\u09cd\u09d7\u09e2-\u09e3\u09fe"
    "\u0a01-\u0a03\u0a3c\u0a3e-\u0a42\u0a47-\u0a48\u0a4b-\u0a4d\u0a51\u0a70-\u0a71"
    "\u0a75\u0a81-\u0a83\u0abc\u0abe-\u0ac5\u0ac7-\u0ac9\u0acb-\u0acd\u0ae2-\u0ae3"
    "\u0afa-\u0aff\u0b01-\u0b03\u0b3c\u0b3e-\u0b44\u0b47-\u0b48\u0b4b-\u0b4d"
    "\u0b55-\u0b57\u0b62-\u0b63\u0b82\u0bbe-\u0bc2\u0bc6-\u0bc8\u0bca-\u0bcd\u0bd7"
    "\u0c00-\u0c04\u0c3c\u0c3e-\u0c44\u0c46-\u0c48\u0c4a-\u0c4d\u0c55-\u0c56"
    "\u0c62-\u0c63\u0c81-\u0c83\u0cbc\u0cbe-\u0cc4\u0cc6-\u0cc8\u0cca-\u0ccd"
    "\u0cd5-\u0cd6\u0ce2-\u0ce3\u0d00-\u0d03\u0d3b-\u0d3c\u0d3e-\u0d44\u0d46-\u0d48"
    "\u0d4a-\u0d4d\u0d57\u0d62-\u0d63\u0d81-\u0d83\u0dca\u0dcf-\u0dd4\u0dd6"
    "\u0dd8-\u0ddf\u0df2-\u0df3\u0e31\u0e34-\u0e3a\u0e47-\u0e4e\u0eb1\u0eb4-\u0ebc"
    "\u0ec8-\u0ecd\u0f18-\u0f19\u0f35\u0f37\u0f39\u0f3e-\u0f3f\u0f71-\u0f84"
    "\u0f86-\u0f87\u0f8d-\u0f97\u0f99-\u0fbc\u0fc6\u102b-\u103e\u1056-\u1059"
    "\u105e-\u1060\u1062-\u1064\u1067-\u106d\u1071-\u1074\u1082-\u108d\u108f"
    "\u109a-\u109d\u135d-\u135f\u1712-\u1715\u1732-\u1734\u1752-\u1753\u1772-\u1773"
    "\u17b4-\u17d3\u17dd\u180b-\u180d\u180f\u1885-\u1886\u18a9\u1920-\u192b"
    "\u1930-\u193b\u1a17-\u1a1b\u1a55-\u1a5e\u1a60-\u1a7c\u1a7f\u1ab0-\u1ace"
    "\u1b00-\u1b04\u1b34-\u1b44\u1b6b-\u1b73\u1b80-\u1b82\u1ba1-\u1bad\u1be6-\u1bf3"
    "\u1c24-\u1c37\u1cd0-\u1cd2\u1cd4-\u1ce8\u1ced\u1cf4\u1cf7-\u1cf9\u1dc0-\u1dff"
    "\u20d0-\u20f0\u2cef-\u2cf1\u2d7f\u2de0-\u2dff\u302a-\u302f\u3099-\u309a"
    "\ua66f-\ua672\ua674-\ua67d\ua69e-\ua69f\ua6f0-\ua6f1\ua802\ua806\ua80b"
    "\ua823-\ua827\ua82c\ua880-\ua881\ua8b4-\ua8c5\ua8e0-\ua8f1\ua8ff\ua926-\ua92d"
    "\ua947-\ua953\ua980-\ua983\ua9b3-\ua9c0\ua9e5\uaa29-\uaa36\uaa43\uaa4c-\uaa4d"
    "\uaa7b-\uaa7d\uaab0\uaab2-\uaab4\uaab7-\uaab8\uaabe-\uaabf\uaac1\uaaeb-\uaaef"
    "\uaaf5-\uaaf6\uabe3-\uabea\uabec-\uabed\ufb1e\ufe00-\ufe0f\ufe20-\ufe2f"
)

# letters, digits and marks (``\w`` is letters, digits and "_"; "_" is taken out before)
_RUN_RE = re.compile(rf"[\w{_MARKS}]+")
# CJK scripts (Han, kana, Hangul)
_CJK_CHAR_RE = re.compile(rf"[{_CJK}]")
_CJK_SPLIT_RE = re.compile(rf"([{_CJK}]+)")
_MARKS_RE = re.compile(r"[\u0300-\u036f\u064b-\u065f\u0670]")
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
def _term(word: str, tag: str | None, stem: bool = True, lemma: bool = True) -> str:
    """One word's index term (cached: news vocabularies repeat): its lemma (``lexicon``)
    stemmed. ``stem=False``: the lemma itself as a term of its language, for queries (a
    dictionary form is often the stem of its inflections where Snowball cuts it shorter:
    ``ciudad`` / ``ciudades``). ``lemma=False``: no lemma lookup (a prefix is not a word)."""
    lowered = _lower(word, tag)
    if tag is None:
        return fold(lowered)
    base = lexicon.lemma(lowered, tag) if lemma and tag in LEMMA_LANGUAGES else lowered
    stemmed = _stemmer(tag).stemWord(base) if stem else base
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


@lru_cache(maxsize=200_000)
def _exact(word: str, tag: str | None) -> str:
    """One word's term in the exact section: as written, case and diacritics folded."""
    return EXACT + fold(_lower(word, tag))


def tokens(
    text: str,
    language: str | None,
    *,
    stem: bool = True,
    lemma: bool = True,
    exact: bool = False,
) -> list[Token]:
    """The terms of ``text`` with their character spans (for snippets and highlighting);
    ``exact``: the exact section's terms (same words, same spans)."""
    tag = stem_tag(language)

    def word(piece: str) -> str:
        return _exact(piece, tag) if exact else _term(piece, tag, stem, lemma)

    out: list[Token] = []
    for m in _RUN_RE.finditer(text.replace("_", " ")):
        run = m.group()
        if run.isascii() or _CJK_CHAR_RE.search(run) is None:
            out.append(Token(word(run), m.start(), m.end()))
            continue
        for cjk, start, piece in _pieces(run, m.start()):
            if not cjk:
                out.append(Token(word(piece), start, start + len(piece)))
            elif exact:
                out.extend(Token(EXACT + t.term, t.start, t.end) for t in _bigrams(piece, start))
            else:
                out.extend(_bigrams(piece, start))
    return out


_CACHES: dict[tuple[str | None, bool], dict[str, str]] = {}
_CACHE_SIZE = 200_000


def _terms(runs: list[str], tag: str | None, exact: bool) -> list[str]:
    """``_term`` (or ``_exact``) over many words through a plain dict per language (the write
    path's hot loop)."""
    cache = _CACHES.setdefault((tag, exact), {})
    if len(cache) > _CACHE_SIZE:
        cache.clear()
    out = list(map(cache.get, runs))  # a C loop; the misses are filled below
    if None in out:
        one = _exact if exact else _term
        for i, term in enumerate(out):
            if term is None:
                out[i] = cache[runs[i]] = one(runs[i], tag)
    return out  # type: ignore[return-value]


def _section(runs: list[str], tag: str | None, cjk: bool, exact: bool) -> list[str]:
    if not cjk:  # the common case: no CJK anywhere
        return _terms(runs, tag, exact)
    parts: list[str] = []
    for run in runs:
        if _CJK_CHAR_RE.search(run) is None:
            parts.extend(_terms([run], tag, exact))
            continue
        for is_cjk, _, piece in _pieces(run, 0):
            if not is_cjk:
                parts.extend(_terms([piece], tag, exact))
            elif exact:
                parts.extend(EXACT + t.term for t in _bigrams(piece, 0))
            else:
                parts.extend(t.term for t in _bigrams(piece, 0))
    return parts


def analyze(text: str | None, language: str | None) -> str:
    """The index text of ``text``: its analyzed terms in order, then its exact section (the
    words as written, each marked with ``EXACT``), separated by spaces."""
    if not text:
        return ""
    tag = stem_tag(language)
    runs = _RUN_RE.findall(text.replace("_", " "))
    cjk = _CJK_CHAR_RE.search(text) is not None
    return " ".join(_section(runs, tag, cjk, False) + _section(runs, tag, cjk, True))


def is_cjk(text: str) -> bool:
    """Whether ``text`` holds a Chinese, Japanese or Korean character."""
    return _CJK_CHAR_RE.search(text) is not None


def alternatives(word: str, languages: Iterable[str | None]) -> tuple[tuple[str, ...], ...]:
    """What a typed word or phrase may be in the index: one term sequence (a phrase) per
    language it is analyzed in (lemma, then stem), and per stemmed language the word's own
    stem (a typed dictionary form means itself) or, without a lemma table, the word itself as
    a stem (the dictionary form that Snowball cuts shorter than its inflections), without
    repeats.
    ``languages`` are the archive's (stored codes); the untagged reading (no stemmer) is
    always among them."""
    tags = sorted({stem_tag(lang) or "" for lang in languages} | {""})
    seen: dict[tuple[str, ...], None] = {}
    for tag in tags:
        # (stem, lemma): as indexed; a typed lemma also as the stem of itself (Italian
        # ``impresa`` is a noun, not only a form of ``imprendere``); without a lemma table,
        # the word itself as a stem
        readings = [(True, True)]
        if tag:
            readings.append((True, False) if tag in LEMMA_LANGUAGES else (False, True))
        for stem, lemma in readings:
            phrase = tuple(t.term for t in tokens(word, tag or None, stem=stem, lemma=lemma))
            if phrase:
                seen.setdefault(phrase, None)
    return tuple(seen)


def exact_alternatives(phrase: str, languages: Iterable[str | None]) -> tuple[tuple[str, ...], ...]:
    """What a quoted phrase is in the exact section: its words as written, case and diacritics
    folded (one reading, two where Turkish dotted and dotless i fold differently)."""
    tags = sorted({stem_tag(lang) or "" for lang in languages} | {""})
    seen: dict[tuple[str, ...], None] = {}
    for tag in tags:
        found = tuple(t.term for t in tokens(phrase, tag or None, exact=True))
        if found:
            seen.setdefault(found, None)
    return tuple(seen)


def prefix_alternatives(
    prefix: str, languages: Iterable[str | None]
) -> tuple[tuple[str, ...], ...]:
    """Exact terms a ``prefix*`` also stands for: the stem of the prefix in each language
    when stemming cut it shorter (``negotiat*`` -> ``negoti_en``), beside the plain prefix."""
    out: dict[tuple[str, ...], None] = {}
    for tag in sorted({t for t in map(stem_tag, languages) if t is not None}):
        phrase = tuple(t.term for t in tokens(prefix, tag, lemma=False))
        plain = tuple(t.term for t in tokens(prefix, None))
        if phrase and len(phrase) == len(plain):
            last = phrase[-1].removesuffix(TAG + tag)
            if len(last) >= 3 and len(last) < len(plain[-1]):
                out.setdefault(phrase, None)
    return tuple(out)


def terms_of(analyzed: Sequence[str]) -> set[str]:
    """The distinct terms of index texts (``analyze`` output)."""
    return {t for text in analyzed for t in text.split()}
