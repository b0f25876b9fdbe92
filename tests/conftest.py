"""The fixtures the test files share: the agency-like site, a hostile server, a fetcher, a store.

Each comes from a helper module that stays importable on its own (``sitefixture``,
``servers``, ``search_helpers``); a test file that needs another scope or other settings
defines its own fixture of the same name, which wins over these.

* ``site``: ``tests/fixtures/site`` served on 127.0.0.1 (``sitefixture.serve_site``);
* ``server``: a ``servers.Server`` with no routes yet (add them: ``server.routes["/a"] = ...``);
* ``fetcher``: ``servers.fetcher()`` (test settings, 127.0.0.1 allowed), closed afterwards;
* ``store``: a migrated ``Store`` in ``tmp_path``, closed afterwards;
* ``archive``: the search stories (``search_helpers.STORIES``) in an archive, once a module;
* ``pg_cluster``, ``pg_url``: a throwaway PostgreSQL cluster per session (``pgcluster``).

The lemma tables (``archiver.search.lexicon``) are converted once per machine into a
directory of the tests' own (``ARCHIVER_LEXICON_DIR``, inherited by the daemons the tests
start), never into the user's cache.

Hypothesis runs without its per-example deadline (no timed assertions in tests). The
``slow`` marker's contract: ``make test`` runs ``-m "not slow"``; ``make test-all``
and ``.ci/run`` run everything.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from archiver.fetch import Fetcher
from archiver.store import Store

from pgcluster import pg_cluster, pg_url  # noqa: F401  (fixtures)
from search_helpers import build_archive
from servers import Server
from servers import fetcher as make_fetcher
from sitefixture import Site, serve_site

os.environ.setdefault(
    "ARCHIVER_LEXICON_DIR",
    str(Path(tempfile.gettempdir()) / f"archiver-test-lexicon-{os.getuid()}"),
)
#: the languages of the tests' stories that have a lemma table
LEXICON_LANGUAGES = ("de", "en", "es", "fr", "it", "pt", "ru", "tr")


def pytest_sessionstart(session: pytest.Session) -> None:
    """Convert the lemma tables the tests need before any test runs (once per machine):
    a conversion takes seconds, which no test's own time budget should pay."""
    from archiver.search import lexicon

    failed = lexicon.prepare(LEXICON_LANGUAGES)
    if failed:
        raise pytest.UsageError(f"cannot convert the lemma tables of {', '.join(failed)}")


# no timed assertions: hypothesis's per-example deadline fails on a busy machine, not on a bug
settings.register_profile("archiver", deadline=None)
settings.load_profile("archiver")

FIXTURES = Path(__file__).parent / "fixtures"
SITE_ROOT = FIXTURES / "site"


@pytest.fixture
def site() -> Iterator[Site]:
    """The agency-like fixture site on 127.0.0.1 (a fresh one per test: ``put`` changes it)."""
    with serve_site(SITE_ROOT) as running:
        yield running


@pytest.fixture
def server() -> Iterator[Server]:
    """A hostile-capable server on 127.0.0.1 with no routes yet."""
    with Server() as running:
        yield running


@pytest.fixture
def fetcher() -> Iterator[Fetcher]:
    """The only HTTP client, on test settings (127.0.0.1 allowed, short deadline, no delay)."""
    with make_fetcher() as client:
        yield client


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A migrated, empty archive in ``tmp_path``."""
    with Store(tmp_path / "a.db") as s:
        s.migrate()
        yield s


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The search stories in an archive, built once per test module; returns its path."""
    return build_archive(tmp_path_factory.mktemp("archive") / "archive.db")
