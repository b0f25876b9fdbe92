"""The article's language: <html lang>, JSON-LD inLanguage, meta, else detection."""

from __future__ import annotations

from archiver.extract.metadata import PageMeta, language_hint
from archiver.extract.text import word_count

_SAMPLE = 3000


def language(meta: PageMeta, text: str) -> str | None:
    hint = language_hint(meta)
    if hint:
        return hint
    sample = text[:_SAMPLE]
    if word_count(sample) < 5:  # a CJK character is a word: Chinese has no spaces
        return None
    import py3langid

    code, _score = py3langid.classify(sample)
    return str(code) if code else None
