"""Search at scale (issues 6 and 10): load rate with the search index maintained, index size,
query latency, and the analyzer's cost per article at write time.

Builds an archive of N synthetic articles WITH THE PROJECT'S OWN STORE (``Store.migrate()``
and its bulk ``Store.add_articles``, which analyzes each article and fills the analyzed index
``articles_search``): 300-600 words each from a
Zipf-like vocabulary (a few hundred real news words at the head, some fixed phrases such as
"prime minister", then tens of thousands of invented words; Latin and Cyrillic scripts),
several sources and languages, publication dates spread over four years.

The peer for the load, in the same run: the same rows loaded the way the archive did before
issue 10 (schema 1-4: FTS5 ``unicode61`` over the text, kept by triggers, no analysis). Then
that index (``articles_fts``) is also built inside the new archive, so the two indexes sit in
one file and their sizes (``dbstat``) and bare queries compare directly.

Then times ``archiver.search.search()`` (what ``archiver search`` runs: parse and analyze the
query in the archive's languages, read-only connection, bm25 with weights, cluster collapse,
snippets) next to the bare FTS5 MATCH (``SELECT rowid FROM <index> WHERE <index> MATCH ?
ORDER BY rank LIMIT 20`` on an open connection, plus the same filter for the filtered query)
on the analyzed index (with the expression search() builds) and on the unicode61 index
("today": the words as typed), in the same run, interleaved. Targets: load >= 2,000
articles/s; p95 <= 1.2x bare.

With ``--pg`` the same archive is also copied into PostgreSQL (``archiver copy`` into a
throwaway cluster, ``tests/pgcluster.py``) and ``search()`` timed on both backends, the same
queries interleaved: p50/p95 per query kind, the copy's rate, the index sizes (``--pg-only``:
that comparison alone, without the unicode61 peer's load and the bare-MATCH table).

Usage: .venv/bin/python bench/search.py [--n 1000000] [--db PATH] [--reuse] [--runs 40]
       [--workers N] [--pg [--pg-only] [--pg-url URL]]
"""

from __future__ import annotations

import argparse
import functools
import itertools
import math
import multiprocessing
import os
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
from archiver.search import parse_query, search
from archiver.search.analyzer import analyze
from archiver.store import Store, article_row, schema
from archiver.store.searchindex import Analyzed, analyzed, languages

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


def _analyzed(row: dict[str, Any]) -> Analyzed:
    return analyzed(row["title"], row["lead"], row["body"], row["language"])


def load(db: Path, n: int, seed: int, workers: int = 0) -> tuple[float, float]:
    """Load ``n`` articles; returns (articles/s inside the store, articles/s overall).

    As in the daemon since issue 15, the index text is analyzed outside the writer: by
    ``workers`` processes (``searchindex.analyzed``, handed to ``Store.add_articles`` by URL)
    while the store writes the previous chunk; with ``workers`` 0 the store analyzes inline.
    The store's rate counts only the time spent in ``Store.add_articles`` (SQLite, the
    indexes, and the analysis when inline), not the generation of the synthetic text.
    """
    rng = random.Random(seed)
    corpus = Corpus(rng)
    in_store = 0.0
    pool = multiprocessing.get_context("fork").Pool(workers) if workers else None
    with Store(db) as store:
        store.migrate()
        started = time.perf_counter()
        done = 0
        stream = rows(corpus, n, rng)

        def submit() -> tuple[list[dict[str, Any]], Any]:
            chunk = list(itertools.islice(stream, 20_000))
            if pool is None or not chunk:
                return chunk, None
            return chunk, pool.map_async(_analyzed, chunk, chunksize=250)

        ahead = submit()
        while done < n:
            chunk, job = ahead
            ahead = submit()  # analyzed while this chunk is written
            search = {r["url"]: a for r, a in zip(chunk, job.get(), strict=True)} if job else None
            t0 = time.perf_counter()
            store.add_articles(chunk, batch=5_000, search=search)
            spent = time.perf_counter() - t0
            in_store += spent
            done += len(chunk)
            print(
                f"  {done:>9,} articles  {len(chunk) / spent:>7,.0f}/s in the store "
                f"(this chunk)  {done / in_store:>7,.0f}/s so far  "
                f"{done / (time.perf_counter() - started):>7,.0f}/s overall",
                flush=True,
            )
        store.checkpoint()
    if pool is not None:
        pool.close()
        pool.join()
    return n / in_store, n / (time.perf_counter() - started)


def load_today(db: Path, n: int, seed: int) -> float:
    """The peer: the same rows into the pre-issue-10 schema (unicode61 FTS5 kept by triggers),
    with the bulk INSERT ``Store.add_articles`` used then; returns articles/s."""
    rng = random.Random(seed)
    corpus = Corpus(rng)
    spent = 0.0
    with Store(db) as store:
        with store.transaction() as conn:
            store.db.table("schema_migrations").create(
                {"version": int, "name": str, "applied_at": str}, pk="version"
            )
            for version, name, step in schema.MIGRATIONS[:4]:
                step(store.db)
                conn.execute("INSERT INTO schema_migrations VALUES (?, ?, '')", (version, name))
        stream = rows(corpus, n, rng)
        done = 0
        while done < n:
            chunk = list(itertools.islice(stream, 5_000))
            columns = list(chunk[0])
            sql = (
                f"INSERT OR IGNORE INTO articles ({', '.join(columns)})"
                f" VALUES ({', '.join('?' * len(columns))})"
            )
            t0 = time.perf_counter()
            with store.transaction() as conn:
                last = conn.execute("SELECT coalesce(max(id), 0) FROM articles").fetchone()[0]
                conn.executemany(sql, ([r[c] for c in columns] for r in chunk))
                conn.execute("UPDATE articles SET cluster_id = id WHERE id > ?", (last,))
                conn.execute(
                    "INSERT OR IGNORE INTO article_urls (url, article_id, kind, first_seen)"
                    " SELECT url, id, 'canonical', first_seen FROM articles WHERE id > ?",
                    (last,),
                )
            spent += time.perf_counter() - t0
            done += len(chunk)
    return n / spent


def analysis_cost(seed: int, sample: int = 2_000) -> float:
    """Milliseconds per article spent in the analyzer (title + lead + body), the write-time
    cost issue 10 adds; warm (the analyzer caches terms, as in a running daemon)."""
    rng = random.Random(seed + 1)
    items = list(rows(Corpus(rng), sample, rng))
    for r in items[:200]:
        analyze(r["body"], r["language"])
    t0 = time.perf_counter()
    for r in items:
        for field in ("title", "lead", "body"):
            analyze(r[field], r["language"])
    return (time.perf_counter() - t0) * 1000 / sample


def add_today_index(db: Path) -> None:
    """Build the unicode61 index over the same rows inside the new archive (for sizes and the
    bare "today" queries)."""
    conn = sqlite3.connect(db)
    conn.execute(
        "CREATE VIRTUAL TABLE IF NOT EXISTS articles_fts USING fts5(title, lead, body,"
        " content='articles', content_rowid='id', tokenize='unicode61 remove_diacritics 2')"
    )
    conn.execute("INSERT INTO articles_fts(articles_fts) VALUES ('rebuild')")
    conn.commit()
    conn.close()


def index_sizes(db: Path) -> dict[str, int]:
    conn = sqlite3.connect(db)
    patterns = {"articles_search": "articles_search%", "articles_fts": "articles_fts%"}
    patterns["articles"] = "articles"  # the table alone (its indexes are named idx_...)
    out = {
        name: int(
            conn.execute(
                "SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name LIKE ?", (pattern,)
            ).fetchone()[0]
        )
        for name, pattern in patterns.items()
    }
    conn.close()
    return out


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


def rows_sql(index: str) -> str:
    return (
        "SELECT a.id, a.url, a.source, a.title, a.published,"
        f" snippet({index}, -1, '[', ']', '...', 12)"
        f" FROM {index} JOIN articles a ON a.id = {index}.rowid"
    )


def with_rows(sql: str, index: str) -> str:
    """The same bare MATCH, returning what ``archiver search`` shows (row and snippet)."""
    if sql.startswith(f"SELECT rowid FROM {index} WHERE"):
        return sql.replace(f"SELECT rowid FROM {index} WHERE", rows_sql(index) + " WHERE", 1)
    return sql.replace(
        f"SELECT a.id FROM {index} CROSS JOIN articles a ON a.id = {index}.rowid",
        rows_sql(index).replace(" JOIN ", " CROSS JOIN "),
        1,
    )


def bare_sqls(index: str) -> tuple[str, str]:
    plain = f"SELECT rowid FROM {index} WHERE {index} MATCH ? ORDER BY rank LIMIT 20"
    # CROSS JOIN keeps the FTS index the outer loop: with a plain JOIN SQLite 3.40 picks the
    # (source, published) index and runs MATCH once per row (about 3 minutes at 1M)
    filtered = (
        f"SELECT a.id FROM {index} CROSS JOIN articles a ON a.id = {index}.rowid"
        f" WHERE {index} MATCH ? AND a.source = ? AND a.published >= ?"
        f" AND a.published < ? ORDER BY {index}.rank LIMIT 20"
    )
    return plain, filtered


Timings = tuple[str, list[float], list[float], list[float], list[float], int]


Case = tuple[str, str, dict[str, Any], tuple[Any, ...]]


def query_cases(conn: sqlite3.Connection) -> list[Case]:
    """(label, query as typed, search() filters, the bare "today" MATCH and its params)."""
    vocab = (
        conn.execute("SELECT title FROM articles WHERE language = 'en' LIMIT 1")
        .fetchone()[0]
        .split()
    )
    rare = _rare_term(conn)
    since, until = datetime(2021, 1, 1, tzinfo=UTC), datetime(2021, 7, 1, tzinfo=UTC)
    window = (since.isoformat(), until.isoformat())
    cases: list[tuple[str, str, dict[str, Any], tuple[Any, ...]]] = [
        ("common word", "minister", {}, ('"minister"',)),
        ("two common words", "security forces", {}, ('"security" AND "forces"',)),
        (f"rare word ({rare})", rare, {}, (f'"{rare}"',)),
        ("phrase", '"prime minister"', {}, ('"prime minister"',)),
        (
            "word, source + dates",
            "ceasefire",
            {"source": ["tass-en"], "since": since, "until": until},
            ('"ceasefire"', "tass-en", *window),
        ),
        ("title word", f"title:{vocab[0].lower()}", {}, (f'title : "{vocab[0].lower()}"',)),
    ]
    return cases


def queries(db: Path, runs: int) -> list[Timings]:
    conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    held = languages(conn)
    cases = query_cases(conn)
    results: list[tuple[str, list[float], list[float], list[float], list[float], int]] = []
    for label, text, kwargs, today_params in cases:
        filtered = "source" in kwargs
        new_plain, new_filtered = bare_sqls("articles_search")
        old_plain, old_filtered = bare_sqls("articles_fts")
        match = parse_query(text, languages=held).match
        new_params = (match, *today_params[1:])
        new_sql = new_filtered if filtered else new_plain
        old_sql = old_filtered if filtered else old_plain
        hits = len(search(db, text, **kwargs))
        calls = [
            functools.partial(search, db, text, **kwargs),
            functools.partial(_fetch, conn, new_sql, new_params),
            functools.partial(_fetch, conn, with_rows(new_sql, "articles_search"), new_params),
            functools.partial(_fetch, conn, old_sql, today_params),
        ]
        timings: list[list[float]] = [[] for _ in calls]
        for _ in range(runs):  # interleaved, so all see the same cache and machine load
            for out, call in zip(timings, calls, strict=True):
                out += measure(1, call)
        results.append((label, timings[0], timings[1], timings[2], timings[3], hits))
    conn.close()
    return results


def pg_compare(db: Path, runs: int, batch: int, url: str | None = None) -> None:
    """The same archive on PostgreSQL: ``archiver copy`` of it into a throwaway cluster (the
    load rate, the index size), then ``search()`` of the same queries on both backends,
    interleaved, each call as the CLI makes it (open, query, close); p50/p95 per query kind
    and whether both return the same stories. A line saying why, when no server starts.
    ``url``: an existing database instead (copied into when empty, else queried as it is)."""
    if url is not None:
        _pg_compare(db, runs, batch, url, "")
        return
    import shutil
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from pgcluster import start_cluster

    cluster, why = start_cluster()
    if cluster is None:
        print(f"PostgreSQL: skipped, {why}")
        return
    try:
        _pg_compare(db, runs, batch, cluster.new_database(), cluster.bindir.parent.name)
    finally:
        cluster.stop()
        shutil.rmtree(cluster.root, ignore_errors=True)


def _pg_compare(db: Path, runs: int, batch: int, url: str, version: str) -> None:
    from archiver.store.pg.copy import copy_archive
    from archiver.store.pg.core import PgStore
    from archiver.store.pg.search import RANK_WINDOW

    with Store(db, readonly=True) as src, PgStore(url) as dest:
        n = src.count_articles()
        dest.migrate()
        copied = dest.count_articles()
        if copied < n:
            t0 = time.perf_counter()
            copy_archive(src, dest, batch=batch)
            spent = time.perf_counter() - t0
            dest.conn.execute("VACUUM ANALYZE")
            rate = f" in {spent:.1f} s = {(n - copied) / spent:,.0f} articles/s"
        else:
            rate = " (copied before)"
        sizes = dest.conn.execute(
            "SELECT pg_total_relation_size('articles_search'),"
            " pg_relation_size('idx_articles_search_tsv'), pg_database_size(current_database()),"
            " current_setting('server_version')"
        ).fetchone()
    lite = index_sizes(db)["articles_search"]
    db_size = sum(p.stat().st_size for p in db.parent.glob(db.name + "*"))
    print(
        f"\nPostgreSQL {version or sizes[3]}: archiver copy of the {n:,} articles{rate} (index"
        f" rows copied as analyzed, tsvector built in Python); articles_search"
        f" {sizes[0] / 1e6:,.0f} MB of which GIN {sizes[1] / 1e6:,.0f} MB (SQLite"
        f" articles_search {lite / 1e6:,.0f} MB); database {sizes[2] / 1e9:.2f} GB (SQLite file"
        f" {db_size / 1e9:.2f} GB)"
    )
    conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    cases = query_cases(conn)
    conn.close()
    print(
        f"search() on both, ms ({runs} runs each, interleaved; open, query, close; PostgreSQL"
        f" ranks the {RANK_WINDOW:,} most recently archived matches):\n"
        f"{'query':<26} {'SQLite p50':>10} {'p95':>7} {'PG p50':>8} {'p95':>7}"
        f" {'p95 ratio':>9}  same newest 200"
    )
    for label, text, kwargs, _ in cases:
        lite_ms: list[float] = []
        pg_ms: list[float] = []
        same = {h.url for h in search(db, text, limit=200, sort="newest", **kwargs)} == {
            h.url for h in search(url, text, limit=200, sort="newest", **kwargs)
        }
        for _ in range(runs):
            lite_ms += measure(1, functools.partial(search, db, text, **kwargs))
            pg_ms += measure(1, functools.partial(search, url, text, **kwargs))
        p95l, p95p = percentile(lite_ms, 0.95), percentile(pg_ms, 0.95)
        print(
            f"{label[:26]:<26} {statistics.median(lite_ms):>10.2f} {p95l:>7.2f}"
            f" {statistics.median(pg_ms):>8.2f} {p95p:>7.2f} {p95p / p95l:>8.2f}x  {same}",
            flush=True,
        )


def _fetch(conn: sqlite3.Connection, sql: str, params: tuple[Any, ...]) -> list[Any]:
    return conn.execute(sql, params).fetchall()


def _rare_term(conn: sqlite3.Connection) -> str:
    """A word about 1 in 5,000 articles use (read from the FTS index itself)."""
    total = conn.execute("SELECT max(id) FROM articles").fetchone()[0] or 1
    target = max(3, total // 5000)
    conn.execute("CREATE VIRTUAL TABLE temp.vocab USING fts5vocab(main, articles_fts, 'row')")
    # a plain word: the same in both indexes (no stem differs from the word)
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
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="processes analyzing the index text while the store writes (0: inline)",
    )
    parser.add_argument(
        "--pg", action="store_true", help="also on PostgreSQL: copy the archive, same queries"
    )
    parser.add_argument("--pg-only", action="store_true", help="with --pg: no SQLite peers")
    parser.add_argument(
        "--pg-url", help="with --pg: this database instead of a throwaway cluster (kept)"
    )
    args = parser.parse_args()
    tmp = None
    if args.db is None:
        tmp = tempfile.TemporaryDirectory(prefix="archiver-bench-")
        args.db = Path(tmp.name) / "archive.db"
    print(f"archive: {args.db}")
    print(f"analysis at write time: {analysis_cost(args.seed):.2f} ms per article (warm)")
    if not args.reuse:
        if args.db.exists():
            raise SystemExit(f"{args.db} exists: remove it or pass --reuse")
        print(
            f"loading {args.n:,} synthetic articles with Store.add_articles, the index text"
            f" analyzed by {args.workers or 'no'} worker process(es) ..."
        )
        rate, overall = load(args.db, args.n, args.seed, args.workers)
        size = sum(p.stat().st_size for p in args.db.parent.glob(args.db.name + "*"))
        verdict = "ok" if rate >= 2000 else "BELOW TARGET"
        print(
            f"load: {args.n:,} articles at {rate:,.0f} articles/s in Store.add_articles with "
            f"the analyzed index maintained (target >= 2,000: {verdict}); {overall:,.0f}/s "
            f"overall (generating the text, {args.workers} analysis workers); archive"
            f" {size / 1e9:.2f} GB"
        )
        if not args.pg_only:
            peer_db = args.db.with_name(args.db.stem + "-today.db")
            today = load_today(peer_db, args.n, args.seed)
            peer_size = sum(p.stat().st_size for p in peer_db.parent.glob(peer_db.name + "*"))
            for p in peer_db.parent.glob(peer_db.name + "*"):
                p.unlink()
            print(
                f"peer (today: unicode61 FTS5 by triggers, no analysis): {today:,.0f} "
                f"articles/s; archive {peer_size / 1e9:.2f} GB"
            )
        add_today_index(args.db)  # the rare word is read from it
    if args.pg:
        pg_compare(args.db, args.runs, batch=5_000, url=args.pg_url)
    if args.pg_only:
        if tmp is not None:
            tmp.cleanup()
        return
    sizes = index_sizes(args.db)
    print(
        f"index sizes: analyzed articles_search {sizes['articles_search'] / 1e6:,.0f} MB, "
        f"unicode61 articles_fts {sizes['articles_fts'] / 1e6:,.0f} MB (external content), "
        f"articles table {sizes['articles'] / 1e6:,.0f} MB"
    )
    print(
        f"\nlatency, ms ({args.runs} runs each, interleaved). search() = archiver search's "
        "library call incl. opening the archive, analysis, snippets, cluster collapse; ids = "
        "bare FTS5 MATCH ... ORDER BY rank LIMIT 20 returning rowids on an open connection, "
        "on the analyzed index with search()'s expression; rows = the same also returning "
        "url, source, title, date and snippet(); today = the bare MATCH of the words as typed "
        "on the unicode61 index"
    )
    print(
        f"{'query':<26} {'hits':>4} {'search p50':>10} {'p95':>7} {'ids p95':>8} {'ratio':>6} "
        f"{'rows p95':>8} {'ratio':>6} {'today p95':>9} {'ratio':>6}"
    )
    for label, ours, bare, rows_, today_ms, hits in queries(args.db, args.runs):
        p95o, p95b = percentile(ours, 0.95), percentile(bare, 0.95)
        p95r, p95t = percentile(rows_, 0.95), percentile(today_ms, 0.95)
        print(
            f"{label[:26]:<26} {hits:>4} {statistics.median(ours):>10.2f} {p95o:>7.2f} "
            f"{p95b:>8.2f} {p95o / p95b:>5.2f}x {p95r:>8.2f} {p95o / p95r:>5.2f}x "
            f"{p95t:>9.2f} {p95o / p95t:>5.2f}x"
        )
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
