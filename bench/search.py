"""Search at scale (issue 6): load rate with the FTS index maintained, then query latency.

Builds an archive of N synthetic articles WITH THE PROJECT'S OWN STORE (``Store.migrate()``
and its bulk ``Store.add_articles``, FTS5 kept by triggers): 300-600 words each from a
Zipf-like vocabulary (a few hundred real news words at the head, some fixed phrases such as
"prime minister", then tens of thousands of invented words; Latin and Cyrillic scripts),
several sources and languages, publication dates spread over four years.

Then times ``archiver.search.search()`` (what ``archiver search`` runs: parse, read-only
connection, bm25 with weights, cluster collapse, snippets) next to the bare FTS5 MATCH
(``SELECT rowid FROM articles_fts WHERE articles_fts MATCH ? ORDER BY rank LIMIT 20`` on an
open connection, plus the same filter for the filtered query) on the same database, in the
same run, the two interleaved. Targets: load >= 2,000 articles/s; p95 <= 1.2x bare.

Usage: .venv/bin/python bench/search.py [--n 1000000] [--db PATH] [--reuse] [--runs 40]
"""

from __future__ import annotations

import argparse
import functools
import itertools
import math
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from archiver.models import Article
from archiver.search import search
from archiver.store import Store, article_row

HEAD_TEXT = (
    "the of to and in a said on for that is with was by at as from it he has have will be "
    "are an not its his this but were had after which who their also been more than they "
    "government minister president would one two new year years people state officials "
    "country security military talks police election forces foreign region war economic "
    "ministry agency according national public week month during told statement support "
    "international capital bank prices market oil gas trade exports growth inflation court "
    "parliament party leader opposition health vaccine cases border troops ceasefire peace "
    "meeting summit cooperation sanctions energy budget report defense city residents "
    "officials announced reported added monday tuesday wednesday thursday friday weekend"
)
HEAD = HEAD_TEXT.split()
PHRASES = [
    "prime minister",
    "foreign ministry",
    "central bank",
    "united nations",
    "security council",
    "interest rates",
    "monitoring center",
    "press service",
]
SOURCES = [
    ("tass-en", "en", 0.25),
    ("reuters-en", "en", 0.25),
    ("ap-en", "en", 0.15),
    ("tass-ru", "ru", 0.15),
    ("ria-ru", "ru", 0.10),
    ("ansa-en", "en", 0.05),
    ("anadolu-en", "en", 0.05),
]
LATIN = [
    "ka",
    "ro",
    "ne",
    "ti",
    "sa",
    "vel",
    "mon",
    "dar",
    "is",
    "ul",
    "pre",
    "tor",
    "an",
    "es",
    "lin",
    "gra",
    "bo",
    "chi",
    "ter",
    "wo",
    "ex",
    "qua",
    "zen",
    "mi",
    "lo",
    "pa",
]
CYRILLIC = [
    "ка",
    "ро",
    "не",
    "ти",
    "са",
    "вел",
    "мон",
    "дар",
    "ис",
    "ул",
    "пре",
    "тор",
    "ан",
    "ес",
    "лин",
    "гра",
    "бо",
    "чи",
    "тер",
    "во",
    "зе",
    "ми",
    "ло",
    "па",
    "ст",
    "ов",
]
START = datetime(2020, 1, 1, tzinfo=UTC)
SPAN_S = 4 * 365 * 86400


class Corpus:
    """Zipf-distributed words per script; sentences and articles from them."""

    def __init__(self, rng: random.Random, size: int = 60_000) -> None:
        self.rng = rng
        self.words: dict[str, list[str]] = {}
        for script, syllables in (("latin", LATIN), ("cyrillic", CYRILLIC)):
            invented: set[str] = set()
            while len(invented) < size:
                invented.add("".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))))
            head = HEAD + PHRASES if script == "latin" else []
            self.words[script] = head + sorted(invented)
        self.cum = {
            s: list(itertools.accumulate(1.0 / (r + 1) ** 1.07 for r in range(len(w))))
            for s, w in self.words.items()
        }
        self.pool = {s: [self.sentence(s) for _ in range(20_000)] for s in self.words}

    def sentence(self, script: str) -> str:
        words = self.rng.choices(
            self.words[script], cum_weights=self.cum[script], k=self.rng.randint(8, 24)
        )
        words[0] = words[0].capitalize()
        return " ".join(words) + "."

    def rare_word(self, script: str, rank: int) -> str:
        return self.words[script][rank]

    def article(self, script: str) -> tuple[str, str, str]:
        """Title, lead, body (300-600 words; sentences from the pool, a few fresh ones)."""
        rng = self.rng
        target = rng.randint(300, 600)
        paragraphs, words = [], 0
        while words < target:
            para = [rng.choice(self.pool[script]) for _ in range(rng.randint(2, 5))]
            para.append(self.sentence(script))  # something unique in every paragraph
            text = " ".join(para)
            paragraphs.append(text)
            words += text.count(" ") + 1
        title = self.sentence(script)[:-1]
        return title, paragraphs[0].split(".")[0] + ".", "\n\n".join(paragraphs)


def rows(corpus: Corpus, n: int, rng: random.Random) -> Iterator[dict[str, Any]]:
    names = [s[0] for s in SOURCES]
    weights = [s[2] for s in SOURCES]
    language = {s[0]: s[1] for s in SOURCES}
    seen = datetime(2024, 1, 1, tzinfo=UTC)
    for i in range(n):
        source = rng.choices(names, weights)[0]
        lang = language[source]
        title, lead, body = corpus.article("cyrillic" if lang == "ru" else "latin")
        published = START + timedelta(seconds=int(SPAN_S * i / n) + rng.randint(0, 3600))
        article = Article(
            url=f"https://{source}.example/{i}",
            title=title,
            lead=lead,
            body=body,
            published=published,
            language=lang,
            tags=tuple(rng.sample(HEAD[60:120], 2)),
        )
        yield article_row(article, source=source, fetched_url=article.url, seen_at=seen)


def load(db: Path, n: int, seed: int) -> tuple[float, float]:
    """Load ``n`` articles; returns (articles/s inside the store, articles/s overall).

    The store's rate counts only the time spent in ``Store.add_articles`` (SQLite, the
    indexes and the FTS5 triggers), not the generation of the synthetic text.
    """
    rng = random.Random(seed)
    corpus = Corpus(rng)
    in_store = 0.0
    with Store(db) as store:
        store.migrate()
        started = time.perf_counter()
        done = 0
        stream = rows(corpus, n, rng)
        while done < n:
            chunk = list(itertools.islice(stream, 50_000))
            t0 = time.perf_counter()
            store.add_articles(chunk, batch=5_000)
            spent = time.perf_counter() - t0
            in_store += spent
            done += len(chunk)
            print(
                f"  {done:>9,} articles  {len(chunk) / spent:>7,.0f}/s in the store "
                f"(this chunk)  {done / in_store:>7,.0f}/s so far",
                flush=True,
            )
        store.checkpoint()
    return n / in_store, n / (time.perf_counter() - started)


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def measure(runs: int, fn: Callable[[], object]) -> list[float]:
    fn()  # warm the page cache
    out = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


ROWS = (
    "SELECT a.id, a.url, a.source, a.title, a.published,"
    " snippet(articles_fts, -1, '[', ']', '...', 12)"
    " FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid"
)


def with_rows(sql: str) -> str:
    """The same bare MATCH, returning what ``archiver search`` shows (row and snippet)."""
    if sql.startswith("SELECT rowid FROM articles_fts WHERE"):
        return sql.replace("SELECT rowid FROM articles_fts WHERE", ROWS + " WHERE", 1)
    return sql.replace(
        "SELECT a.id FROM articles_fts CROSS JOIN articles a ON a.id = articles_fts.rowid",
        ROWS.replace(" JOIN ", " CROSS JOIN "),
        1,
    )


Timings = tuple[str, list[float], list[float], list[float], int]


def queries(db: Path, runs: int) -> list[Timings]:
    conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    vocab = (
        conn.execute("SELECT title FROM articles WHERE language = 'en' LIMIT 1")
        .fetchone()[0]
        .split()
    )
    rare = _rare_term(conn)
    since, until = datetime(2021, 1, 1, tzinfo=UTC), datetime(2021, 7, 1, tzinfo=UTC)
    bare_sql = "SELECT rowid FROM articles_fts WHERE articles_fts MATCH ? ORDER BY rank LIMIT 20"
    # CROSS JOIN keeps the FTS index the outer loop: with a plain JOIN SQLite 3.40 picks the
    # (source, published) index and runs MATCH once per row (about 3 minutes at 1M)
    bare_filtered = (
        "SELECT a.id FROM articles_fts CROSS JOIN articles a ON a.id = articles_fts.rowid"
        " WHERE articles_fts MATCH ? AND a.source = ? AND a.published >= ?"
        " AND a.published < ? ORDER BY articles_fts.rank LIMIT 20"
    )
    cases: list[tuple[str, str, dict[str, Any], str, tuple[Any, ...]]] = [
        ("common word", "minister", {}, bare_sql, ('"minister"',)),
        ("two common words", "security forces", {}, bare_sql, ('"security" AND "forces"',)),
        (f"rare word ({rare})", rare, {}, bare_sql, (f'"{rare}"',)),
        ("phrase", '"prime minister"', {}, bare_sql, ('"prime minister"',)),
        (
            "word, source + dates",
            "ceasefire",
            {"source": ["tass-en"], "since": since, "until": until},
            bare_filtered,
            ('"ceasefire"', "tass-en", since.isoformat(), until.isoformat()),
        ),
        (
            "title word",
            f"title:{vocab[0].lower()}",
            {},
            bare_sql,
            (f'title : "{vocab[0].lower()}"',),
        ),
    ]
    results = []
    for label, text, kwargs, sql, params in cases:
        ours: list[float] = []
        bare: list[float] = []
        rows: list[float] = []
        hits = len(search(db, text, **kwargs))
        ours_call = functools.partial(search, db, text, **kwargs)
        bare_call = functools.partial(_fetch, conn, sql, params)
        rows_call = functools.partial(_fetch, conn, with_rows(sql), params)
        for _ in range(runs):  # interleaved, so all see the same cache and machine load
            ours += measure(1, ours_call)
            bare += measure(1, bare_call)
            rows += measure(1, rows_call)
        results.append((label, ours, bare, rows, hits))
    conn.close()
    return results


def _fetch(conn: sqlite3.Connection, sql: str, params: tuple[Any, ...]) -> list[Any]:
    return conn.execute(sql, params).fetchall()


def _rare_term(conn: sqlite3.Connection) -> str:
    """A word about 1 in 5,000 articles use (read from the FTS index itself)."""
    total = conn.execute("SELECT max(id) FROM articles").fetchone()[0] or 1
    target = max(3, total // 5000)
    conn.execute("CREATE VIRTUAL TABLE temp.vocab USING fts5vocab(main, articles_fts, 'row')")
    row = conn.execute(
        "SELECT term FROM temp.vocab WHERE doc BETWEEN ? AND ? AND term GLOB '[a-z]*' LIMIT 1",
        (target, target * 2),
    ).fetchone()
    return row[0] if row else "zzz"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="articles to load")
    parser.add_argument("--db", type=Path, help="archive path (default: a temporary folder)")
    parser.add_argument("--reuse", action="store_true", help="query an existing --db, no load")
    parser.add_argument("--runs", type=int, default=40, help="timed runs per query")
    parser.add_argument("--seed", type=int, default=6)
    args = parser.parse_args()
    tmp = None
    if args.db is None:
        tmp = tempfile.TemporaryDirectory(prefix="archiver-bench-")
        args.db = Path(tmp.name) / "archive.db"
    print(f"archive: {args.db}")
    if not args.reuse:
        if args.db.exists():
            raise SystemExit(f"{args.db} exists: remove it or pass --reuse")
        print(f"loading {args.n:,} synthetic articles with Store.add_articles ...")
        rate, overall = load(args.db, args.n, args.seed)
        size = sum(p.stat().st_size for p in args.db.parent.glob(args.db.name + "*"))
        verdict = "ok" if rate >= 2000 else "BELOW TARGET"
        print(
            f"load: {args.n:,} articles at {rate:,.0f} articles/s in Store.add_articles with "
            f"FTS5 maintained (target >= 2,000: {verdict}); {overall:,.0f}/s including the "
            f"generation of the text; archive {size / 1e9:.2f} GB"
        )
    print(
        f"\nlatency, ms ({args.runs} runs each, interleaved). search() = archiver search's "
        "library call incl. opening the archive, snippets, cluster collapse; bare ids = "
        "FTS5 MATCH ... ORDER BY rank LIMIT 20 returning rowids on an open connection; "
        "bare rows = the same MATCH also returning url, source, title, date and snippet()"
    )
    print(
        f"{'query':<26} {'hits':>4} {'search p50':>10} {'p95':>7} {'ids p50':>8} {'p95':>7} "
        f"{'ratio':>6} {'rows p50':>8} {'p95':>7} {'ratio':>6}"
    )
    for label, ours, bare, rows, hits in queries(args.db, args.runs):
        p95o, p95b, p95r = (percentile(ours, 0.95), percentile(bare, 0.95), percentile(rows, 0.95))
        print(
            f"{label[:26]:<26} {hits:>4} {statistics.median(ours):>10.2f} {p95o:>7.2f} "
            f"{statistics.median(bare):>8.2f} {p95b:>7.2f} {p95o / p95b:>5.2f}x "
            f"{statistics.median(rows):>8.2f} {p95r:>7.2f} {p95o / p95r:>5.2f}x"
        )
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
