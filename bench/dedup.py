"""Dedup quality and speed on 10,000 synthetic articles (issue 5).

The stream: 70% distinct stories, 20% exact duplicates of one of them at another URL (the
same story in two sections or two feeds, a tracking parameter, an AMP twin), 10%
near-duplicates (re-filed with a sentence changed or added, or a different credit line).
Each article goes through ``Store.save_article`` exactly as the pipeline files a page, so
the figures include the SQL (aliases, band-index cluster lookup, revisions, FTS triggers).

Quality, against the truth the generator knows:
* exact duplicates: precision and recall of "filed as an alias of the right story";
* near-duplicates: precision and recall of "put in the story's cluster" (pairs).
Peers in the same run: URL-only dedup (what most feed pollers do: a duplicate is a URL seen
before), and a bare SQLite insert of the same rows with the same FTS5 index, for speed.
The WARC bytes per article figure is bench/capture_size.py's (run it beside this one).

    .venv/bin/python bench/dedup.py [--n 10000]
"""

from __future__ import annotations

import argparse
import itertools
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from archiver.dedup import canonical_url
from archiver.models import Article
from archiver.store import Store, article_row
from archiver.timeutil import utcnow

WORDS = 12_000


def vocabulary(rng: random.Random) -> list[str]:
    letters = "etaoinshrdlcumwfgypbvkjxqz"
    out: set[str] = set()
    while len(out) < WORDS:
        out.add("".join(rng.choice(letters) for _ in range(rng.randint(3, 10))))
    return sorted(out)


ZIPF = list(itertools.accumulate(1 / rank for rank in range(1, WORDS + 1)))


def sentence(rng: random.Random, vocab: list[str]) -> str:
    # Zipf's law: the word of rank r comes with probability ~ 1/r, as in real copy
    words = rng.choices(vocab, cum_weights=ZIPF, k=rng.randint(12, 28))
    return " ".join(words).capitalize() + "."


def story(rng: random.Random, vocab: list[str]) -> list[str]:
    paragraphs = []
    for _ in range(rng.randint(6, 12)):
        paragraphs.append(" ".join(sentence(rng, vocab) for _ in range(rng.randint(1, 3))))
    return paragraphs


def near_copy(rng: random.Random, vocab: list[str], paragraphs: list[str]) -> list[str]:
    out = list(paragraphs)
    edit = rng.choice(("add", "replace", "credit"))
    if edit == "add":
        out.insert(rng.randint(1, len(out)), sentence(rng, vocab))
    elif edit == "replace":
        i = rng.randrange(len(out))
        _, _, rest = out[i].partition(". ")
        out[i] = f"{sentence(rng, vocab)} {rest}".strip()
    else:
        out.append(
            f"Reporting by {rng.choice(vocab).title()} {rng.choice(vocab).title()}; "
            f"editing by {rng.choice(vocab).title()}"
        )
    return out


def generate(n: int, seed: int = 5) -> list[tuple[Article, int, str]]:
    """(article, story id, kind) with kind in original | duplicate | near."""
    rng = random.Random(seed)
    vocab = vocabulary(rng)
    base = datetime(2024, 1, 1, tzinfo=UTC)
    originals: list[tuple[int, str, list[str]]] = []
    stream: list[tuple[Article, int, str]] = []
    for i in range(n):
        roll = rng.random()
        when = base + timedelta(minutes=i)
        if originals and roll < 0.20:
            sid, title, paragraphs = rng.choice(originals)
            url = f"https://mirror{rng.randint(1, 5)}.example.net/news/{i}?utm_source=rss"
            stream.append(
                (
                    Article(url=url, title=title, body="\n\n".join(paragraphs), published=when),
                    sid,
                    "duplicate",
                )
            )
        elif originals and roll < 0.30:
            sid, title, paragraphs = rng.choice(originals)
            url = f"https://partner{rng.randint(1, 5)}.example.org/story/{i}"
            stream.append(
                (
                    Article(
                        url=url,
                        title=title,
                        body="\n\n".join(near_copy(rng, vocab, paragraphs)),
                        published=when,
                    ),
                    sid,
                    "near",
                )
            )
        else:
            paragraphs = story(rng, vocab)
            title = sentence(rng, vocab)[:80]
            originals.append((i, title, paragraphs))
            url = f"https://wire.example.com/world/{i}"
            stream.append(
                (
                    Article(url=url, title=title, body="\n\n".join(paragraphs), published=when),
                    i,
                    "original",
                )
            )
    return stream


def pr(tp: int, fp: int, fn: int) -> tuple[float, float]:
    return (tp / (tp + fp) if tp + fp else 1.0, tp / (tp + fn) if tp + fn else 1.0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000)
    args = ap.parse_args()
    stream = generate(args.n)
    counts = {
        k: sum(1 for _, _, kind in stream if kind == k) for k in ("original", "duplicate", "near")
    }
    print(
        f"{args.n} articles: {counts['original']} stories, {counts['duplicate']} exact "
        f"duplicates at other URLs, {counts['near']} near-duplicates\n"
    )

    tmp = Path(tempfile.mkdtemp())
    store = Store(tmp / "archive.db")
    store.migrate()
    story_of_article: dict[int, int] = {}
    outcome: list[tuple[int, str, int, int]] = []  # (article id, outcome, cluster, story)
    t0 = time.perf_counter()
    for article, sid, _kind in stream:
        saved = store.save_article(
            article, source="bench", fetched_url=article.url, seen_at=article.published
        )
        outcome.append((saved.article_id, saved.outcome, saved.cluster_id or 0, sid))
        if saved.outcome == "new":
            story_of_article[saved.article_id] = sid
    ours = time.perf_counter() - t0

    # exact duplicates: an alias of the right story
    tp = fp = fn = 0
    for (article_id, result, _cluster, sid), (_, _, kind) in zip(outcome, stream, strict=True):
        same_story = story_of_article.get(article_id) == sid
        if result == "alias":
            tp += int(kind == "duplicate" and same_story)
            fp += int(not (kind == "duplicate" and same_story))
        elif kind == "duplicate":
            fn += 1
    exact = pr(tp, fp, fn)

    # near-duplicates: a new article joins an existing story cluster; the join is right
    # when it is a near-duplicate landing in its own story's cluster
    first_cluster = {
        sid: cluster
        for (_, _, cluster, sid), (_, _, kind) in zip(outcome, stream, strict=True)
        if kind == "original"
    }
    joins = right = 0
    for (article_id, result, cluster, sid), (_, _, kind) in zip(outcome, stream, strict=True):
        if result == "new" and cluster != article_id:
            joins += 1
            right += int(kind == "near" and cluster == first_cluster[sid])
    near = pr(right, joins - right, counts["near"] - right)

    # the peer: URL-only dedup (a duplicate is a canonical URL seen before)
    seen: set[str] = set()
    url_tp = url_fn = 0
    for article, _, kind in stream:
        key = canonical_url(article.url)
        if kind == "duplicate":
            url_tp += int(key in seen)
            url_fn += int(key not in seen)
        seen.add(key)
    url_exact = pr(url_tp, 0, url_fn)

    # the bare library: the same rows into the same schema, plain INSERT, same FTS triggers
    bare = Store(tmp / "bare.db")
    bare.migrate()
    rows = [
        article_row(a, source="bench", fetched_url=a.url, seen_at=a.published or utcnow())
        for a, _, _ in stream
    ]
    t0 = time.perf_counter()
    for row in rows:
        with bare.transaction() as conn:
            conn.execute(
                f"INSERT OR IGNORE INTO articles ({', '.join(row)}) VALUES "
                f"({', '.join('?' * len(row))})",
                list(row.values()),
            )
    bare_s = time.perf_counter() - t0

    print(f"{'dedup':<44} {'precision':>9} {'recall':>7}")
    print(f"{'archiver: exact duplicates -> alias':<44} {exact[0]:>9.3f} {exact[1]:>7.3f}")
    print(f"{'archiver: near-duplicates -> story cluster':<44} {near[0]:>9.3f} {near[1]:>7.3f}")
    print(
        f"{'peer: URL-only dedup, exact duplicates':<44} {url_exact[0]:>9.3f} {url_exact[1]:>7.3f}"
    )
    print()
    print(f"{'store stage (one transaction per article)':<44} {'articles/s':>10}")
    print(f"{'archiver: dedup + store (save_article)':<44} {args.n / ours:>10.0f}")
    print(f"{'bare: INSERT + FTS triggers, same schema':<44} {args.n / bare_s:>10.0f}")
    store.close()
    bare.close()


if __name__ == "__main__":
    main()
