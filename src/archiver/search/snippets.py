"""Snippets: the words of a stored text around what a query matched, the matches marked.

The stored text is analyzed again with the article's language (``analyzer.tokens``), so an
inflected form, a stem or a CJK word inside running text is marked exactly where it stands
(``переговорах`` for ``переговоры``, ``外交部`` inside ``外交部发言人``). Pure.
"""

from __future__ import annotations

from collections.abc import Sequence

from archiver.search.analyzer import EXACT, Token, tokens

HL_START = "\ue000"  # private-use characters: never typed, never in news copy
HL_END = "\ue001"
ELLIPSIS = "…"
SNIPPET_TOKENS = 24


def matched_spans(
    toks: Sequence[Token],
    phrases: Sequence[Sequence[str]],
    prefixes: Sequence[str] = (),
    exact: Sequence[Token] = (),
) -> list[tuple[int, int]]:
    """The (first, last) token indexes of every occurrence of a phrase or a prefix; phrases
    and prefixes of the exact section (``EXACT``-marked) are looked for in ``exact``, the
    same text's exact tokens (same spans as ``toks``)."""
    spans: list[tuple[int, int]] = []
    for seq, marked in ((toks, False), (exact, True)):
        wanted = [tuple(p) for p in phrases if p and p[0].startswith(EXACT) == marked]
        starts = [p for p in prefixes if p.startswith(EXACT) == marked]
        if not seq or not (wanted or starts):
            continue
        by_first: dict[str, list[tuple[str, ...]]] = {}
        for phrase in wanted:
            by_first.setdefault(phrase[0], []).append(phrase)
        terms = [t.term for t in seq]
        for i, term in enumerate(terms):
            for phrase in by_first.get(term, ()):
                if tuple(terms[i : i + len(phrase)]) == phrase:
                    spans.append((i, i + len(phrase) - 1))
            if starts and any(term.startswith(p) for p in starts):
                spans.append((i, i))
    return sorted(set(spans))


def make_snippet(
    text: str | None,
    language: str | None,
    phrases: Sequence[Sequence[str]],
    prefixes: Sequence[str] = (),
    size: int = SNIPPET_TOKENS,
) -> str | None:
    """About ``size`` words of ``text`` around the most distinct matches, each match between
    ``HL_START`` and ``HL_END``; None when nothing in ``text`` matches."""
    if not text:
        return None
    # the first paragraph that matches (a long body is not analyzed past it)
    for start, paragraph in _paragraphs(text):
        toks = tokens(paragraph, language)
        wants_exact = any(p and p[0].startswith(EXACT) for p in phrases) or any(
            p.startswith(EXACT) for p in prefixes
        )
        exact = tokens(paragraph, language, exact=True) if wants_exact else []
        spans = matched_spans(toks, phrases, prefixes, exact)
        if spans:
            return _window(
                paragraph,
                toks,
                spans,
                size,
                first=start == 0,
                last=start + len(paragraph) >= len(text),
            )
    return None


def _paragraphs(text: str) -> list[tuple[int, str]]:
    out, pos = [], 0
    for part in text.split("\n\n"):
        out.append((pos, part))
        pos += len(part) + 2
    return out


def _window(
    text: str,
    toks: Sequence[Token],
    spans: list[tuple[int, int]],
    size: int,
    *,
    first: bool,
    last: bool,
) -> str:
    # the window of ``size`` tokens holding the most distinct matched terms
    best, best_score = 0, -1
    for at, _ in spans:
        start = max(0, at - size // 4)
        inside = {toks[a].term for a, b in spans if start <= a and b < start + size}
        if len(inside) > best_score:
            best, best_score = start, len(inside)
    end = min(len(toks), best + size)
    lo, hi = toks[best].start, toks[end - 1].end
    marks: list[tuple[int, int]] = []
    for a, b in sorted(spans):
        if best <= a and b < end:
            s, e = toks[a].start, toks[b].end
            if marks and s <= marks[-1][1]:
                marks[-1] = (marks[-1][0], max(e, marks[-1][1]))
            else:
                marks.append((s, e))
    out, pos = [], lo
    for s, e in marks:
        out += [text[pos:s], HL_START, text[s:e], HL_END]
        pos = e
    out.append(text[pos:hi])
    body = " ".join("".join(out).split())
    before = ELLIPSIS if best > 0 or not first else ""
    return before + body + (ELLIPSIS if end < len(toks) or not last else "")
