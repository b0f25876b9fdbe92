"""Multilingual search on held-out pages: ``score_search.py`` over fundus' publishers.

Issue 10's bar is measured on pages archiver was never tuned on, in many languages. fundus
(flairNLP/fundus) keeps real article pages of publishers in 40 countries (German, French,
Spanish, Italian, Portuguese, Russian, Turkish, Polish, Chinese, Japanese, Korean, ...) as
test data. This script writes those pages (publishers already in ``../shared/corpus`` left
out) as a manifest in a temporary directory, read at run time from a checkout given as an
argument (nothing third-party is in this repository), and runs the shared scorer on it:
archiving them with ``archiver poll``, making the queries with simplemma, jieba, fugashi and
kiwipiepy, and comparing ``archiver.search.search()`` with bare FTS5 indexes in the same run.

    .venv/bin/python bench/search_heldout.py --fundus DIR [--per-language 40] [--queries 3]
        [--limit N] [--json OUT]

The scorer needs simplemma, jieba, fugashi, unidic-lite, kiwipiepy and py3langid installed.
"""

from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve()
sys.path.insert(0, str(HERE.parent))

from heldout import SHARED, corpus_publishers, load_fundus  # noqa: E402

SCORER = SHARED / "tools" / "score_search.py"


def write_manifest(pages: list[dict[str, object]], where: Path) -> Path:
    """``pages`` (``heldout.load_fundus``'s) as a manifest the shared scorers read."""
    (where / "html").mkdir(parents=True, exist_ok=True)
    manifest = where / "manifest.jsonl"
    with manifest.open("w", encoding="utf-8") as out:
        for i, page in enumerate(pages):
            name = f"html/{i:05d}.html.gz"
            body = page["bytes"]
            assert isinstance(body, bytes)
            (where / name).write_bytes(gzip.compress(body, compresslevel=1))
            out.write(json.dumps({"id": page["id"], "url": page["url"], "html": name}) + "\n")
    return manifest


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--fundus", type=Path, required=True, help="a flairNLP/fundus checkout")
    ap.add_argument("--corpus", type=Path, default=SHARED / "corpus" / "manifest.jsonl")
    ap.add_argument("--per-language", type=int, default=40)
    ap.add_argument("--queries", type=int, default=3)
    ap.add_argument("--limit", type=int, default=0, help="only the first N pages")
    ap.add_argument("--json", type=Path, help="the scorer's figures as JSON")
    args = ap.parse_args()
    data = args.fundus / "tests" / "resources" / "parser" / "test_data"
    if not data.is_dir():
        print(f"error: no fundus test data under {args.fundus}", file=sys.stderr)
        return 2
    pages: list[dict[str, object]] = list(load_fundus(args.fundus, corpus_publishers(args.corpus)))
    if args.limit:
        pages = pages[: args.limit]
    with tempfile.TemporaryDirectory(prefix="search-heldout-") as tmp:
        manifest = write_manifest(pages, Path(tmp))
        print(f"{len(pages)} held-out fundus pages -> {manifest}", file=sys.stderr)
        command = [
            sys.executable,
            str(SCORER),
            str(manifest),
            "--per-language",
            str(args.per_language),
            "--queries",
            str(args.queries),
        ]
        if args.json:
            command += ["--json", str(args.json)]
        return subprocess.run(command, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
