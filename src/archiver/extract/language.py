"""The article's language: <html lang>, JSON-LD inLanguage, meta, else detection."""

from __future__ import annotations

from archiver.extract.metadata import PageMeta, language_hint

_SAMPLE = 3000


def language(meta: PageMeta, text: str) -> str | None:
    hint = language_hint(meta)
    if hint:
        return hint
    sample = text[:_SAMPLE]
    if len(sample.split()) < 5:
        return None
    import py3langid

    code, _score = py3langid.classify(sample)
    return str(code) if code else None
