"""Dictionary forms: a word's lemma from spaCy's lookup tables, read from disk.

The analyzer turns each word into its lemma before stemming it (``blieb`` -> ``bleiben``,
``gezeigt`` -> ``zeigen``, ``toplantılar`` -> ``toplantı``), so a dictionary form finds the
forms a stemmer cannot bring together (German ablaut and ``ge-`` participles, Turkish, Russian
stems that change). The tables are those of ``spacy-lookups-data`` (form -> lemma, 25
languages: ``languages()``), an independent, MIT-licensed resource made for this job.

Held in memory, a table costs 30-270 MB per language (1.3 million forms for Turkish) and a
few seconds to load, in every process that analyzes: the daemon's workers, ``archiver
search``, Datasette. So each table is converted once into an SQLite file of its own (a
``WITHOUT ROWID`` table, form -> lemma), in the lexicon directory (``ARCHIVER_LEXICON_DIR``,
else ``$XDG_CACHE_HOME/archiver/lexicon``, else ``~/.cache/archiver/lexicon``). The conversion
runs in a child process, so its peak memory is given back; concurrent processes wait on a
lock file instead of converting twice. After that a lookup is one indexed read of a file the
OS caches and shares between processes. When the directory cannot be written, the table is
loaded in memory instead (slower to start, same lemmas): index and queries always agree.

Keys are folded the way the analyzer folds a word (NFKC, case folding, Turkish dotted and
dotless i kept apart), so a lookup takes the analyzer's lowered word. A file keeps only the
forms whose Snowball stem differs from their lemma's (the analyzer stems a lemma): ``gab`` ->
``geben`` stays, ``Verhandlungen`` -> ``Verhandlung`` goes (both stem to ``verhandl``), which
leaves 15-25% of most tables (two thirds of Turkish's).
"""

from __future__ import annotations

import contextlib
import fcntl
import gzip
import json
import logging
import os
import sqlite3
import subprocess
import sys
import threading
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from importlib import metadata
from pathlib import Path
from typing import cast

log = logging.getLogger("archiver.search")

FORMAT = 3  # the layout and rules of the converted files
BUILD_TIMEOUT_S = 300.0

try:
    VERSION = metadata.version("spacy-lookups-data")
except metadata.PackageNotFoundError:  # pragma: no cover - a declared dependency
    VERSION = "none"
try:
    _STEMMER = metadata.version("PyStemmer")  # the files keep only what stemming does not do
except metadata.PackageNotFoundError:  # pragma: no cover - a declared dependency
    _STEMMER = "none"


def lower(word: str, language: str | None) -> str:
    """A word as the analyzer compares it: NFKC, case folded, Turkish ``I``/``İ`` kept apart."""
    word = unicodedata.normalize("NFKC", word)
    if language in ("tr", "az"):
        word = word.replace("I", "ı").replace("İ", "i")
    return word.casefold()


def _data_dir() -> Path | None:
    try:
        import spacy_lookups_data
    except ImportError:  # pragma: no cover - a declared dependency
        return None
    return Path(spacy_lookups_data.__file__).parent / "data"


def _source(language: str) -> Path | None:
    data = _data_dir()
    if data is None:
        return None
    path = data / f"{language}_lemma_lookup.json.gz"
    return path if path.is_file() else None


@cache
def languages() -> frozenset[str]:
    """The ISO 639-1 codes that have a lemma table."""
    data = _data_dir()
    if data is None:
        return frozenset()
    suffix = "_lemma_lookup.json.gz"
    return frozenset(p.name[: -len(suffix)] for p in data.glob(f"*{suffix}"))


def directory() -> Path:
    """Where the converted tables are kept."""
    explicit = os.environ.get("ARCHIVER_LEXICON_DIR")
    if explicit:
        return Path(explicit)
    cache_home = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache_home) / "archiver" / "lexicon"


def _file(language: str, where: Path) -> Path:
    return where / f"{language}-{VERSION}-f{FORMAT}-s{_STEMMER}.sqlite3"


def entries(language: str) -> Iterator[tuple[str, str]]:
    """The table's (form, lemma) pairs, folded; the first lemma of a form wins."""
    path = _source(language)
    if path is None:
        return
    with gzip.open(path, "rb") as fh:
        table = json.load(fh)
    for form, lemma in table.items():
        if isinstance(lemma, list):  # French gives a list of lemmas: the first is the usual
            if not lemma:
                continue
            lemma = lemma[0]
        if isinstance(form, str) and isinstance(lemma, str):
            yield lower(form, language), lower(lemma, language)


def _stem_words(language: str) -> Callable[[list[str]], list[str]]:
    """The analyzer's stemmer of ``language`` over a list (identity when it has none)."""
    import Stemmer

    from archiver.search.analyzer import STEMMERS

    if language not in STEMMERS:
        return lambda words: words
    return cast(Callable[[list[str]], list[str]], Stemmer.Stemmer(STEMMERS[language]).stemWords)


def kept(language: str) -> list[tuple[str, str]]:
    """The (form, lemma) pairs a lexicon keeps, in form order: the first lemma of each form,
    and only where the form's stem differs from its lemma's (the analyzer stems both alike
    otherwise)."""
    table: dict[str, str] = {}
    for form, lemma in entries(language):
        if form != lemma:
            table.setdefault(form, lemma)
    forms = list(table)
    stem = _stem_words(language)
    lemmas = [table[f] for f in forms]
    return sorted(
        (f, lem)
        for f, lem, a, b in zip(forms, lemmas, stem(forms), stem(lemmas), strict=True)
        if a != b
    )


def build(language: str, dest: Path) -> int:
    """Convert ``language``'s table into the file ``dest`` (``store.lexiconfile``, atomic);
    returns the number of forms kept. Runs in the child process ``convert`` starts."""
    from archiver.store import lexiconfile

    return lexiconfile.write(kept(language), dest)


def converted(language: str, where: Path | None = None) -> bool:
    """Whether ``language``'s table is already converted on this machine (in ``where``)."""
    return _file(language, where or directory()).is_file()


def convert(language: str, where: Path) -> Path:
    """The converted file of ``language`` in ``where``, converting it first (in a child
    process, under a lock) if it is not there. Raises OSError when that cannot be done."""
    dest = _file(language, where)
    if dest.is_file():
        return dest
    where.mkdir(parents=True, exist_ok=True)
    with open(where / f"{language}.lock", "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if dest.is_file():  # another process converted it while we waited
            return dest
        log.info("lexicon: converting the %s lemma table into %s", language, dest)
        try:
            done = subprocess.run(
                [sys.executable, "-c", _CHILD, language, str(dest)],
                capture_output=True,
                timeout=BUILD_TIMEOUT_S,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise OSError(
                f"converting the {language} lemma table took over {exc.timeout}s"
            ) from None
        if done.returncode != 0 or not dest.is_file():
            last = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["?"]
            raise OSError(f"converting the {language} lemma table failed: {last[0]}")
    return dest


def prepare(wanted: Iterable[str], where: Path | None = None, workers: int = 2) -> list[str]:
    """Convert the tables of ``wanted`` that are not converted yet, ``workers`` at a time
    (each in its own child process); returns the languages whose conversion failed."""
    todo = sorted(set(wanted) & languages())
    failed: list[str] = []

    def one(language: str) -> None:
        try:
            convert(language, where or directory())
        except OSError as exc:
            log.warning("lexicon: %s", exc)
            failed.append(language)

    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        list(pool.map(one, todo))
    return sorted(failed)


_CHILD = "import sys; from archiver.search.lexicon import _main; sys.exit(_main(sys.argv[1:]))"


class Lexicon:
    """The lemma tables of one process: each opened (or converted) when first needed."""

    def __init__(self, where: Path | None = None) -> None:
        self._where = where
        self._lock = threading.Lock()
        self._files: dict[str, sqlite3.Connection | dict[str, str] | None] = {}

    def _open(self, language: str) -> sqlite3.Connection | dict[str, str] | None:
        if language not in languages():
            return None
        try:
            path = convert(language, self._where or directory())
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
            conn.execute("SELECT 1 FROM lemmas LIMIT 1")
            return conn
        except (OSError, sqlite3.Error) as exc:
            log.warning(
                "lexicon: %s; the %s lemma table is read into memory instead", exc, language
            )
            return dict(kept(language))

    def lemma(self, word: str, language: str) -> str:
        """The lemma of a lowered word (``lower``), the word itself when the table lacks it."""
        with self._lock:
            if language not in self._files:
                self._files[language] = self._open(language)
            table = self._files[language]
            if table is None:
                return word
            if isinstance(table, dict):
                return table.get(word, word)
            row = table.execute("SELECT lemma FROM lemmas WHERE form = ?", (word,)).fetchone()
        return row[0] if row is not None else word

    def close(self) -> None:
        with self._lock:
            for table in self._files.values():
                if isinstance(table, sqlite3.Connection):
                    with contextlib.suppress(sqlite3.Error):
                        table.close()
            self._files.clear()


_LEXICON = Lexicon()


def lemma(word: str, language: str) -> str:
    """The lemma of a lowered word in ``language`` (the process's shared lexicon)."""
    return _LEXICON.lemma(word, language)


def _main(argv: list[str]) -> int:
    """The conversion child (``convert``): LANGUAGE DEST."""
    if len(argv) != 2:
        print("usage: LANGUAGE DEST", file=sys.stderr)
        return 2
    language, dest = argv
    if _source(language) is None:
        print(f"no lemma table for {language!r}", file=sys.stderr)
        return 1
    build(language, Path(dest))
    return 0
