"""WARC bytes per article against the raw HTML bytes (issue 5: target <= 0.25).

Writes captures with ``archiver.capture.WarcWriter`` into a temporary folder:

* synthetic article pages laid out like a wire service's (navigation, inline scripts,
  JSON-LD, a 400-word story, related links, footer), each fetched once and then re-fetched
  on the revisit ladder (default 3 more times); ``--changed`` of the pages are edited before
  one re-fetch (a full record), the other re-fetches are unchanged (a revisit record);
* with ``--corpus``, the real pages of ../shared/corpus (read from there, never copied),
  each written once, to check the gzip ratio on real markup.

Usage: .venv/bin/python bench/capture_size.py [--articles 2000] [--revisits 3]
       [--changed 0.2] [--corpus]
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from archiver.capture import CaptureRef, WarcWriter, capture_files

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
REQ = [("User-Agent", "archiver/0.1 (+bench)"), ("Accept", "text/html")]
RESP = [
    ("Content-Type", "text/html; charset=utf-8"),
    ("Server", "nginx"),
    ("Cache-Control", "max-age=60"),
    ("Content-Encoding", "gzip"),
]


def vocabulary(rng: random.Random, size: int = 6000) -> list[str]:
    letters = "etaoinshrdlcumwfgypbvkjxqz"
    weights = [12, 9, 8, 8, 7, 7, 6, 6, 6, 4, 4, 3, 3, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1]
    return ["".join(rng.choices(letters, weights, k=rng.randint(2, 10))) for _ in range(size)]


def words(rng: random.Random, vocab: list[str], count: int) -> str:
    # Zipf-like: a few words very common, a long tail (as in real prose)
    picks = [vocab[min(len(vocab) - 1, int(rng.paretovariate(1.1)) - 1)] for _ in range(count)]
    return " ".join(picks)


def site_chrome(rng: random.Random, vocab: list[str]) -> tuple[str, str]:
    nav = "".join(
        f'<li class="menu__item"><a class="menu__link" href="/{w}">{w.title()}</a></li>'
        for w in rng.sample(vocab[:400], 90)
    )
    script = "".join(
        f'window.__cfg_{i}={{"id":"{rng.getrandbits(64):x}","slot":"{w}","size":[300,250]}};'
        for i, w in enumerate(rng.sample(vocab, 250))
    )
    head = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<link rel="stylesheet" href="/static/css/main.4f9c2.css">'
        f'<script>{script}</script></head><body><header class="header"><nav><ul>{nav}'
        "</ul></nav></header>"
    )
    footer = "".join(
        f'<a class="footer__link" href="/info/{w}">{w.title()}</a>' for w in rng.sample(vocab, 60)
    )
    tail = (
        f'<footer class="footer">{footer}<p>&copy; 2024 The Wire Agency. All rights reserved.'
        '</p></footer><script src="/static/js/app.91ab3.js" defer></script></body></html>'
    )
    return head, tail


def article_page(rng: random.Random, vocab: list[str], chrome: tuple[str, str], n: int) -> str:
    title = words(rng, vocab, 10).capitalize()
    paras = [words(rng, vocab, rng.randint(25, 60)).capitalize() + "." for _ in range(10)]
    body = "".join(f"<p>{p}</p>" for p in paras)
    related = "".join(
        f'<li><a href="/world/{rng.randint(10**6, 10**7)}">{words(rng, vocab, 8)}</a>'
        f'<time datetime="2024-01-{rng.randint(1, 30):02d}T{rng.randint(0, 23):02d}:00Z">'
        "</time></li>"
        for _ in range(20)
    )
    jsonld = json.dumps(
        {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": title,
            "datePublished": f"2024-01-30T09:{n % 60:02d}:00Z",
            "articleBody": " ".join(paras)[:500],
            "publisher": {"@type": "Organization", "name": "The Wire"},
        }
    )
    head, tail = chrome
    return (
        f'{head}<script type="application/ld+json">{jsonld}</script><main><article>'
        f'<h1 class="news-header__title">{title}</h1><div class="text-content">{body}</div>'
        f'</article><aside><ul class="related">{related}</ul></aside></main>{tail}'
    )


def synthetic(
    root: Path, articles: int, revisits: int, changed: float, seed: int
) -> dict[str, float]:
    rng = random.Random(seed)
    vocab = vocabulary(rng)
    chrome = site_chrome(rng, vocab)
    t0 = datetime(2024, 1, 30, tzinfo=UTC)
    raw_first = raw_all = 0
    full = revisit_records = revisit_bytes = 0
    started = time.perf_counter()
    with WarcWriter(root, prefix="bench") as writer:
        for n in range(articles):
            url = f"https://wire.example/world/{1_000_000 + n}"
            html = article_page(rng, vocab, chrome, n).encode()
            edit_at = rng.randint(1, revisits) if revisits and rng.random() < changed else -1
            previous: CaptureRef | None = None
            for visit in range(revisits + 1):
                if visit == edit_at:
                    html = html.replace(b"</div></article>", b"<p>UPDATE.</p></div></article>")
                previous = writer.write(
                    url,
                    request_headers=REQ,
                    status=200,
                    response_headers=RESP,
                    body=html,
                    fetched_at=t0 + timedelta(minutes=n, hours=(0, 1, 6, 24)[min(visit, 3)]),
                    previous=previous,
                )
                raw_all += len(html)
                revisit_bytes += previous.length if previous.revisit else 0
                raw_first += len(html) if visit == 0 else 0
                revisit_records += previous.revisit
                full += not previous.revisit
    elapsed = time.perf_counter() - started
    warc = sum(p.stat().st_size for p in capture_files(root))
    return {
        "articles": articles,
        "fetches": articles * (revisits + 1),
        "full_records": full,
        "revisit_records": revisit_records,
        "raw_html_bytes_per_article_first_fetch": raw_first / articles,
        "warc_bytes_per_article_all_fetches": warc / articles,
        "ratio_warc_to_first_fetch_html": warc / raw_first,
        "ratio_warc_to_all_fetched_html": warc / raw_all,
        "bytes_per_revisit_record": revisit_bytes / max(1, revisit_records),
        "captures_per_s": articles * (revisits + 1) / elapsed,
    }


def corpus(root: Path) -> dict[str, float] | None:
    manifest = CORPUS / "manifest.jsonl"
    if not manifest.exists():
        return None
    rows = [json.loads(line) for line in manifest.read_text(encoding="utf-8").splitlines() if line]
    raw = 0
    with WarcWriter(root, prefix="corpus") as writer:
        for row in rows:
            html = gzip.decompress((CORPUS / row["html"]).read_bytes())
            raw += len(html)
            writer.write(
                row["url"],
                request_headers=REQ,
                status=200,
                response_headers=RESP,
                body=html,
                fetched_at=datetime(2024, 1, 30, tzinfo=UTC),
            )
    warc = sum(p.stat().st_size for p in capture_files(root))
    return {
        "pages": len(rows),
        "raw_html_bytes_per_page": raw / len(rows),
        "warc_bytes_per_page": warc / len(rows),
        "ratio_warc_to_html": warc / raw,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--revisits", type=int, default=3)
    parser.add_argument("--changed", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--corpus", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        result = {
            "synthetic": synthetic(
                Path(tmp) / "s", args.articles, args.revisits, args.changed, args.seed
            )
        }
        if args.corpus:
            result["corpus"] = corpus(Path(tmp) / "c") or {}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
