"""The PostgreSQL schema: the SQLite archive's numbered migrations, in PostgreSQL's DDL.

Same version numbers, names, tables and columns as ``store.schema`` (times stay ISO UTC
text, so the store's SQL compares them the same way); the search index is a table whose
``tsv`` column is the ``tsvector`` of the analyzer's terms (``archiver_tsv``), GIN-indexed.
Migration 100, PostgreSQL's own, adds ``host_slots``, the politeness slot of every host shared
by the daemons (numbered past the shared migrations, so both lists can grow); 101 makes
``archiver_tsv`` one pass and ``tsv`` a column a trigger fills unless the writer gives it
(a bulk load builds it in Python: ``store.pg.tsv``).
"""

from __future__ import annotations

from archiver.store.schema import MIGRATIONS as SQLITE_MIGRATIONS

_ARTICLE_COLUMNS = """
    id bigserial PRIMARY KEY, url text NOT NULL UNIQUE, source text, agency text,
    site_name text, title text, lead text, body text NOT NULL, dateline text,
    dateline_place text, dateline_date text, dateline_agency text, published text,
    published_from text, updated text, updated_from text, authors text, tags text,
    section text, language text, word_count bigint, paywalled bigint DEFAULT 0,
    extractor text, canonical_url text, fetched_url text, content_hash text, simhash bigint,
    cluster_id bigint, first_seen text, last_seen text, revision_count bigint DEFAULT 1"""

#: The tsvector of an analyzed title, lead and body: the analyzer's terms as they are (split
#: on white space only, as the SQLite index's ``ascii`` tokenizer with ``_`` sees them), at
#: their positions, weighted A/B/C, with a gap between the fields so a phrase never spans two.
TSV_FUNCTION = r"""
CREATE OR REPLACE FUNCTION archiver_tsv(title text, lead text, body text) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  WITH parts(n, w, t) AS (
    VALUES (1, 'A', coalesce(title, '')), (2, 'B', coalesce(lead, '')),
           (3, 'C', coalesce(body, ''))),
  terms AS (
    SELECT p.n, p.w, x.term, x.pos
    FROM parts p, unnest(regexp_split_to_array(btrim(p.t), '\s+')) WITH ORDINALITY x(term, pos)
    WHERE x.term <> '' AND octet_length(x.term) < 2000),
  sized AS (SELECT n, count(*) + 1 AS c FROM terms GROUP BY n),
  placed AS (
    SELECT t.term, t.w, least(16383, t.pos + coalesce(
      (SELECT sum(s.c) FROM sized s WHERE s.n < t.n), 0)) AS pos FROM terms t)
  SELECT coalesce(string_agg(
    '''' || replace(replace(term, '\', '\\'), '''', '''''') || ''':' || pos || w, ' '
  )::tsvector, ''::tsvector) FROM placed
$$"""

#: The same tsvector, computed in one pass (migration 101): the field offsets by a window
#: over the per-field counts, materialized once, where ``TSV_FUNCTION`` re-counted the terms
#: of every earlier field for each term (about 8x slower on a 500-word article).
TSV_FUNCTION_FAST = r"""
CREATE OR REPLACE FUNCTION archiver_tsv(title text, lead text, body text) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  WITH terms AS MATERIALIZED (
    SELECT p.n, p.w, x.term, x.pos
    FROM (VALUES (1, 'A', coalesce(title, '')), (2, 'B', coalesce(lead, '')),
                 (3, 'C', coalesce(body, ''))) p(n, w, t),
         unnest(regexp_split_to_array(btrim(p.t), '\s+')) WITH ORDINALITY x(term, pos)
    WHERE x.term <> '' AND octet_length(x.term) < 2000),
  sized AS MATERIALIZED (
    SELECT n, coalesce(sum(count(*) + 1) OVER (ORDER BY n ROWS BETWEEN UNBOUNDED PRECEDING
                                               AND 1 PRECEDING), 0) AS base
    FROM terms GROUP BY n)
  SELECT coalesce(string_agg(
    '''' || replace(replace(t.term, '\', '\\'), '''', '''''') || ''':'
      || least(16383, t.pos + s.base) || t.w, ' '
  )::tsvector, ''::tsvector) FROM terms t JOIN sized s USING (n)
$$"""

#: Migration 101: ``tsv`` a plain column a trigger fills from ``archiver_tsv`` when a write
#: does not give it, so a bulk load (``archiver copy``) may give the tsvector it built in
#: Python (``store.pg.tsv``) while the store's own writes stay as they are.
TSV_TRIGGER = """
CREATE OR REPLACE FUNCTION archiver_tsv_fill() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (TG_OP = 'INSERT' AND NEW.tsv IS NULL)
     OR (TG_OP = 'UPDATE' AND NEW.tsv IS NOT DISTINCT FROM OLD.tsv) THEN
    NEW.tsv := archiver_tsv(NEW.title, NEW.lead, NEW.body);
  END IF;
  RETURN NEW;
END $$"""

#: The search index's GIN index; ``archiver copy`` builds it once at the end of a copy
#: (``PgStore.migrate`` builds it on an archive whose copy was interrupted and not resumed)
GIN_INDEX = "CREATE INDEX IF NOT EXISTS idx_articles_search_tsv ON articles_search USING gin (tsv)"

_STEPS: dict[int, list[str]] = {
    1: [
        """CREATE TABLE sources (name text PRIMARY KEY, kind text, url text,
             every_s double precision, enabled bigint DEFAULT 1, etag text, last_modified text,
             last_polled text, last_outcome text, next_check text, error_count bigint DEFAULT 0,
             last_error text, polls bigint DEFAULT 0, not_modified bigint DEFAULT 0,
             added text)""",
        f"CREATE TABLE articles ({_ARTICLE_COLUMNS})",
        *(
            f"CREATE INDEX idx_articles_{c} ON articles ({c})"
            for c in ("source", "published", "cluster_id", "language", "content_hash")
        ),
        """CREATE TABLE fetches (id bigserial PRIMARY KEY, at text, source text, url text,
             status bigint, bytes bigint, ms bigint, error text)""",
        "CREATE INDEX idx_fetches_source_at ON fetches (source, at)",
        """CREATE TABLE failures (url text PRIMARY KEY, source text, first_at text,
             last_at text, attempts bigint, final bigint DEFAULT 0, error text)""",
    ],
    2: [
        """CREATE TABLE article_urls (url text PRIMARY KEY,
             article_id bigint REFERENCES articles (id), kind text, first_seen text)""",
        "CREATE INDEX idx_article_urls_article_id ON article_urls (article_id)",
        """CREATE TABLE revisions (id bigserial PRIMARY KEY,
             article_id bigint REFERENCES articles (id), number bigint, seen_at text,
             content_hash text, changed text, title text, lead text, body text, published text,
             updated text, fetched_url text, warc_file text, warc_offset bigint,
             warc_length bigint, warc_record_id text, payload_digest text)""",
        "CREATE UNIQUE INDEX idx_revisions_article_number ON revisions (article_id, number)",
        "CREATE INDEX idx_revisions_record ON revisions (warc_record_id)",
        """CREATE TABLE link_keys (identity text PRIMARY KEY, article_id bigint, source text,
             url text, lastmod text, first_seen text, last_fetched text,
             revisits bigint DEFAULT 0, next_revisit text)""",
        "CREATE INDEX idx_link_keys_source_next ON link_keys (source, next_revisit)",
        *(f"ALTER TABLE articles ADD COLUMN sh{b} bigint" for b in range(4)),
        *(f"CREATE INDEX idx_articles_sh{b} ON articles (sh{b})" for b in range(4)),
    ],
    3: ["CREATE INDEX idx_articles_source_published ON articles (source, published)"],
    4: ["ALTER TABLE articles ADD COLUMN gone_at text"],
    5: [
        TSV_FUNCTION,
        """CREATE TABLE articles_search (rowid bigint PRIMARY KEY, title text, lead text,
             body text, language text,
             tsv tsvector GENERATED ALWAYS AS (archiver_tsv(title, lead, body)) STORED)""",
        GIN_INDEX,
        "CREATE TABLE search_languages (language text PRIMARY KEY)",
        """CREATE TABLE search_backfill (id bigint PRIMARY KEY CHECK (id = 1),
             done_through bigint, last_id bigint)""",
    ],
    6: [
        """CREATE TABLE leases (source text PRIMARY KEY, holder text NOT NULL, pid bigint,
             host text, acquired_at text, expires_at text NOT NULL)""",
    ],
    7: [
        """CREATE TABLE reextract_runs (id bigserial PRIMARY KEY, scope text, started_at text,
             updated_at text, finished_at text, file text, "offset" bigint, done bigint)""",
    ],
    8: [
        "ALTER TABLE sources ADD COLUMN listing_capture text",
        "ALTER TABLE sources ADD COLUMN links_left bigint NOT NULL DEFAULT 0",
    ],
    9: [
        """CREATE TABLE search_analyzer (id bigint PRIMARY KEY CHECK (id = 1),
             version text NOT NULL)""",
    ],
    # PostgreSQL's own, after the shared ones: numbered past every SQLite migration
    100: [
        """CREATE TABLE host_slots (host text PRIMARY KEY,
             next_at double precision NOT NULL DEFAULT 0, holder text,
             held_until double precision NOT NULL DEFAULT 0)""",
    ],
    101: [
        TSV_FUNCTION_FAST,
        "ALTER TABLE articles_search ALTER COLUMN tsv DROP EXPRESSION",
        TSV_TRIGGER,
        """CREATE TRIGGER articles_search_tsv BEFORE INSERT OR UPDATE ON articles_search
             FOR EACH ROW EXECUTE FUNCTION archiver_tsv_fill()""",
    ],
}

MIGRATIONS: list[tuple[int, str, list[str]]] = [
    *((version, name, _STEPS[version]) for version, name, _ in SQLITE_MIGRATIONS),
    (100, "host_slots: the politeness slot of each host, shared by the daemons", _STEPS[100]),
    (
        101,
        "articles_search.tsv: one-pass archiver_tsv; a trigger fills it unless given",
        _STEPS[101],
    ),
]
