"""The ``tsvector`` of an analyzed title, lead and body, built in Python (bulk loads).

``tsvector_text`` writes the same lexemes, positions and weights as the archive's SQL
function ``archiver_tsv`` (``store.pg.schema``), as ``tsvector`` input text: the analyzer's
terms as they are (split on white space only), at their positions, weighted A (title),
B (lead), C (body), with a gap of one position between two fields so a phrase never spans
them, positions capped at 16383, terms of 2000 bytes or more left out (their position kept).
PostgreSQL's own ``tsvector`` input then sorts, merges and limits them exactly as it does
for the function's result, so a row written with this text is the row the store writes
(``test_pg_tsv.py`` compares the two). ``archiver copy`` uses it to fill ``articles_search``
without running the SQL function per row.
"""

from __future__ import annotations

import re

_SPACE_RE = re.compile(r"[ \t\n\r\f\v]+")  # \s in archiver_tsv (the analyzer writes ASCII spaces)
MAX_POS = 16383
MAX_TERM_BYTES = 2000


def _lexeme(term: str) -> str:
    if "\\" in term or "'" in term:
        term = term.replace("\\", "\\\\").replace("'", "''")
    return f"'{term}':"


def _field(text: str, weight: str, base: int, out: list[str]) -> int:
    """Append one field's lexemes to ``out``; returns how many terms it kept."""
    terms = _SPACE_RE.split(text.strip(" "))
    plain = (
        "\\" not in text
        and "'" not in text
        and base + len(terms) <= MAX_POS
        and all(terms)
        and len(max(terms, key=len)) * 4 < MAX_TERM_BYTES
    )
    if plain:  # the common case: every term kept as it is, no position capped
        lexeme = "'{}':{}" + weight
        out.extend(map(lexeme.format, terms, range(base + 1, base + 1 + len(terms))))
        return len(terms)
    kept = 0
    for pos, term in enumerate(terms, 1):
        if not term or (len(term) * 4 >= MAX_TERM_BYTES and len(term.encode()) >= MAX_TERM_BYTES):
            continue
        kept += 1
        out.append(f"{_lexeme(term)}{min(MAX_POS, pos + base)}{weight}")
    return kept


def tsvector_text(title: str | None, lead: str | None, body: str | None) -> str:
    """``archiver_tsv(title, lead, body)`` as ``tsvector`` input text."""
    out: list[str] = []
    base = 0
    for weight, text in (("A", title), ("B", lead), ("C", body)):
        if text:
            kept = _field(text, weight, base, out)
            if kept:
                base += kept + 1
    return " ".join(out)
