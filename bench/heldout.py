"""Held-out text F1, date accuracy and pages/s: archiver next to its peers on public benchmark sets.

Issue 12's bars, measured on pages archiver was never tuned on, every extractor on the same pages
in one run. The sets are read at run time from checkouts given as arguments (nothing third-party
is in this repository):

    .venv/bin/python bench/heldout.py --aeb DIR --fundus DIR --trafilatura DIR --htmldate DIR \
        [--extractor archiver,trafilatura,newspaper4k,htmldate] [--misses archiver] [--limit N]

  aeb          scrapinghub/article-extraction-benchmark: ground-truth.json (articleBody, url),
               html/<id>.html.gz -> text F1.
  fundus       flairNLP/fundus: tests/resources/parser/test_data/<cc>/<Publisher>.json (versions
               V1.. paired in date order with <Publisher>_<date>.html.gz; meta.info gives the url),
               publishers already in ../shared/corpus left out -> text F1 (summary + sections),
               title, published date.
  trafilatura  adbar/trafilatura: tests/evaldata.json (file, date, with/without), pages in
               tests/cache or tests/eval -> published date, snippets F1 (pages with a date).
  htmldate     adbar/htmldate: tests/eval_mediacloud_2020.json and tests/eval_default.json
               (file, date), pages in tests/test_set, cache or eval -> published date.

Metrics are those of ../shared/tools/score_extraction.py (imported, not copied): token 4-gram
shingle F1 of lead + body, macro-averaged; the published date on the same calendar day.
pages/s is only meaningful as a ratio between extractors within one run.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()
SHARED = HERE.parents[2] / "shared"
sys.path.insert(0, str(SHARED / "tools"))

import score_extraction as se  # noqa: E402  (the shared scorer: same metrics as the corpus)

Page = dict[str, Any]
Runner = Callable[[bytes, str], dict[str, Any]]


# ------------------------------------------------------------------ loaders


def load_aeb(root: Path) -> list[Page]:
    """The article-extraction-benchmark: body truth only."""
    truth = json.loads((root / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for key, item in sorted(truth.items()):
        path = root / "html" / f"{key}.html.gz"
        if path.exists():
            pages.append(
                {
                    "id": f"aeb/{key[:12]}",
                    "url": item.get("url") or "",
                    "bytes": gzip.decompress(path.read_bytes()),
                    "truth": {"body": item.get("articleBody") or ""},
                }
            )
    return pages


def corpus_publishers(manifest: Path) -> set[str]:
    """Fundus publishers the shared corpus already holds ("fundus/<cc>/<Publisher>_<date>")."""
    names = set()
    if manifest.exists():
        for line in manifest.read_text(encoding="utf-8").splitlines():
            if line.strip():
                parts = json.loads(line)["id"].split("/")
                if parts[0] == "fundus" and len(parts) >= 3:
                    names.add(f"{parts[1]}/{parts[2].split('_')[0]}")
    return names


def fundus_text(body: dict[str, Any]) -> tuple[str, str]:
    """Fundus' body truth -> (lead, body): the summary, then every section's headline and
    paragraphs in order."""
    lead = "\n\n".join(body.get("summary") or [])
    parts: list[str] = []
    for section in body.get("sections") or []:
        parts.extend(section.get("headline") or [])
        parts.extend(section.get("paragraphs") or [])
    return lead, "\n\n".join(parts)


def load_fundus(root: Path, exclude: set[str]) -> list[Page]:
    data = root / "tests" / "resources" / "parser" / "test_data"
    pages = []
    for case in sorted(data.glob("*/*.json")):
        country, publisher = case.parent.name, case.stem
        if f"{country}/{publisher}" in exclude:
            continue
        meta_path = case.parent / "meta.info"
        meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.exists() else {}
        versions = json.loads(case.read_text(encoding="utf-8"))
        htmls = sorted(case.parent.glob(f"{publisher}_*.html.gz"))
        keys = sorted(versions, key=lambda k: int(re.sub(r"\D", "", k) or 0))
        for key, html in zip(keys, htmls, strict=False):
            expected = versions[key]
            truth: dict[str, Any] = {}
            if isinstance(expected.get("body"), dict):
                truth["lead"], truth["body"] = fundus_text(expected["body"])
            if expected.get("title"):
                truth["title"] = expected["title"]
            if expected.get("publishing_date"):
                truth["published"] = str(expected["publishing_date"]).replace(" ", "T", 1)
            pages.append(
                {
                    "id": f"fundus/{country}/{html.name.removesuffix('.html.gz')}",
                    "url": (meta.get(html.name) or {}).get("url") or "",
                    "bytes": gzip.decompress(html.read_bytes()),
                    "truth": truth,
                }
            )
    return pages


def find_page(tests: Path, name: str, dirs: tuple[str, ...]) -> Path | None:
    for d in dirs:
        path = tests / d / name
        if path.is_file():
            return path
    return None


def load_trafilatura(root: Path) -> list[Page]:
    """trafilatura's evaluation pages that carry a date (with their with/without snippets)."""
    tests = root / "tests"
    evaldata = json.loads((tests / "evaldata.json").read_text(encoding="utf-8"))
    pages = []
    for url, item in evaldata.items():
        path = find_page(tests, item["file"], ("cache", "eval"))
        if path is None or not item.get("date"):
            continue
        pages.append(
            {
                "id": f"trafilatura/{item['file']}",
                "url": url,
                "bytes": path.read_bytes(),
                "truth": {
                    "published": item["date"],
                    "with": item.get("with") or [],
                    "without": item.get("without") or [],
                },
            }
        )
    return pages


def load_htmldate(root: Path, which: str) -> list[Page]:
    tests = root / "tests"
    evaldata = json.loads((tests / f"eval_{which}.json").read_text(encoding="utf-8"))
    pages = []
    for url, item in evaldata.items():
        path = find_page(tests, item["file"], ("test_set", "cache", "eval"))
        if path is not None and item.get("date"):
            pages.append(
                {
                    "id": f"htmldate-{which}/{item['file']}",
                    "url": url,
                    "bytes": path.read_bytes(),
                    "truth": {"published": item["date"]},
                }
            )
    return pages


def load_sets(args: argparse.Namespace) -> Iterator[tuple[str, list[Page]]]:
    if args.aeb:
        yield "aeb", load_aeb(args.aeb)
    if args.fundus:
        yield "fundus", load_fundus(args.fundus, corpus_publishers(args.corpus))
    if args.trafilatura:
        yield "trafilatura-eval", load_trafilatura(args.trafilatura)
    if args.htmldate:
        yield "htmldate-mediacloud", load_htmldate(args.htmldate, "mediacloud_2020")
        yield "htmldate-default", load_htmldate(args.htmldate, "default")


# --------------------------------------------------------------- extractors


def make_htmldate() -> Runner:
    """htmldate alone (its own evaluation settings): the date reference, no text."""
    from htmldate import find_date

    def run(html: bytes, url: str) -> dict[str, Any]:
        found = find_date(html, url=url, original_date=True, extensive_search=True)
        result: dict[str, Any] = se.normalise({"published": found})
        return result

    return run


EXTRACTORS: dict[str, Callable[[], Runner]] = {**se.EXTRACTORS, "htmldate": make_htmldate}


# -------------------------------------------------------------------- main


def cell(result: dict[str, Any], key: str) -> str:
    value = result.get(key)
    if value is None:
        return "-"
    return f"{value.get('f1', value.get('accuracy')):.3f}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--aeb", type=Path, help="article-extraction-benchmark checkout")
    ap.add_argument("--fundus", type=Path, help="fundus checkout")
    ap.add_argument("--trafilatura", type=Path, help="trafilatura checkout")
    ap.add_argument("--htmldate", type=Path, help="htmldate checkout")
    ap.add_argument("--corpus", type=Path, default=SHARED / "corpus" / "manifest.jsonl")
    ap.add_argument("--extractor", default="archiver,trafilatura,newspaper4k,htmldate")
    ap.add_argument("--misses", default="", help="print these extractors' misses (a,b)")
    ap.add_argument("--limit", type=int, default=0, help="first N pages of each set")
    ap.add_argument("--json", type=Path, help="write every figure and miss here")
    args = ap.parse_args()

    runners: dict[str, Runner] = {}
    for name in args.extractor.split(","):
        try:
            runners[name] = EXTRACTORS[name]()
        except ImportError as exc:
            print(f"{name}: not installed ({exc})", file=sys.stderr)
    show = set(filter(None, args.misses.split(",")))
    cols = ("body", "snippets", "title", "published")
    out: dict[str, dict[str, Any]] = {}
    print(
        f"{'set':<20} {'extractor':<12} {'pages':>5} {'pages/s':>8} "
        + " ".join(f"{c:>9}" for c in cols)
        + "  errors"
    )
    for set_name, pages in load_sets(args):
        if args.limit:
            pages = pages[: args.limit]
        out[set_name] = {}
        for name, run in runners.items():
            if name == "htmldate" and not any("published" in p["truth"] for p in pages):
                continue
            if pages:  # one untimed call first: lazy imports and caches are not per-page cost
                with contextlib.suppress(Exception):  # score() records the failure below
                    run(pages[0]["bytes"], pages[0]["url"])
            result = se.score(pages, run)
            if name == "htmldate":  # a date finder: its empty text is no text figure
                result = {k: v for k, v in result.items() if k not in ("body", "snippets", "title")}
            out[set_name][name] = result
            print(
                f"{set_name:<20} {name:<12} {result['pages']:>5} {result['pages_per_s']:>8.1f} "
                + " ".join(f"{cell(result, c):>9}" for c in cols)
                + f"  {result['errors']}",
                flush=True,
            )
            if name in show:
                for miss in result["misses"]:
                    print("    ", miss)
    if args.json:
        args.json.write_text(json.dumps(out, indent=2, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
