"""An article's history for ``archiver show --revisions`` and ``--diff``."""

from __future__ import annotations

import difflib
from typing import Any

from archiver.logs import escape
from archiver.models import ArticleURL, Revision
from archiver.store import Store

DIFF_FIELDS = ("title", "lead", "body")


def attach_revisions(store: Store, record: dict[str, Any], *, diff: bool = False) -> dict[str, Any]:
    """The article record with its ``revisions`` (the first version included), its
    ``urls`` (canonical, as fetched, aliases) and, with ``diff``, the first→latest diff."""
    revisions = store.revisions(int(record["id"]))
    out = {**record, "revisions": revisions, "urls": store.article_urls(int(record["id"]))}
    if diff:
        out["diff"] = diff_text(revisions[0], revisions[-1]) if len(revisions) > 1 else ""
    return out


def diff_text(old: Revision, new: Revision) -> str:
    """A unified diff of title, lead and body, one paragraph a line."""
    lines: list[str] = []
    for name in DIFF_FIELDS:
        before = _lines(getattr(old, name))
        after = _lines(getattr(new, name))
        if before == after:
            continue
        lines += difflib.unified_diff(
            before,
            after,
            fromfile=f"{name} (revision {old.number}, {old.seen_at})",
            tofile=f"{name} (revision {new.number}, {new.seen_at})",
            lineterm="",
            n=1,
        )
    return "\n".join(lines)


def _lines(text: object) -> list[str]:
    return [p.strip() for p in str(text or "").split("\n\n") if p.strip()]


def revisions_text(record: dict[str, Any], *, diff: bool = False) -> str:
    """The revision list (and the diff) as readable text, after the article itself."""
    revisions: list[Revision] = record.get("revisions") or []
    urls: list[ArticleURL] = record.get("urls") or []
    lines = ["", f"[revisions: {len(revisions)}]"]
    for rev in revisions:
        changed = ", ".join(rev.changed) or "first version"
        where = f"  capture {rev.warc_file}@{rev.warc_offset}" if rev.warc_file else ""
        lines.append(f"  {rev.number:>3}  {rev.seen_at}  {changed}{where}")
    if len(urls) > 1:
        lines += ["", "[urls]", *(f"  {u.kind:<9} {escape(u.url)}" for u in urls)]
    if diff:
        diff_lines = (record.get("diff") or "(no change)").splitlines()
        lines += ["", "[diff: first → latest]", *(escape(line) for line in diff_lines)]
    return "\n".join(lines)
