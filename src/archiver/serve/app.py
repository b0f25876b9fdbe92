"""``archiver serve``: Datasette on the archive, read-only, with shipped metadata.

How the archive is opened: Datasette's normal (mutable) mode, whose read connections are
``file:...?mode=ro``; nothing here ever writes. Not ``--immutable``: immutable tells SQLite
the file never changes, so it skips locking and ignores the WAL; with the daemon writing,
committed articles still in the WAL would be invisible and a checkpoint running under a
reader could hand it a torn page ("database disk image is malformed"). In WAL mode a
read-only reader never blocks the writer and is never blocked by it.

The metadata (``metadata.json``, package data beside this module) gives titles and
descriptions, wires ``articles_search`` (the analyzed index) to the articles table, facets,
newest-first order, canned queries and (``plugins.archiver.captures``) where the WARC files
are. The plugin (``archiver.serve.plugin``, registered here under the package's name so
Datasette finds ``templates/`` and ``static/``) makes it a reading room: the stories view,
the article page, the ranked search, source health, readable error pages, and archiver's
query language for the table search box.
"""

from __future__ import annotations

import contextlib
import json
import signal
import sys
import tempfile
import types
from importlib import resources
from pathlib import Path
from typing import Any

from archiver.errors import StoreError
from archiver.serve import guard
from archiver.store.readonly import connect_readonly

__all__ = ["register_plugin", "serve"]

METADATA_FILE = "metadata.json"
TEMPLATE_DB_NAME = "archive"
SQL_TIME_LIMIT_MS = 3000
SETTINGS: dict[str, int | str] = {
    "truncate_cells_html": 240,  # a story at a glance: body cut in the HTML tables
    "default_page_size": 50,
    "facet_time_limit_ms": 1000,
    "suggest_facets": "off",  # suggestions scan every column: slow on millions of rows
    "max_returned_rows": 1000,
}
HOOKS = (
    "prepare_connection",
    "extra_template_vars",
    "prepare_jinja2_environment",
    "extra_css_urls",
    "render_cell",
    "register_facet_classes",
    "register_routes",
    "asgi_wrapper",
    "handle_exception",
)


# ---------------------------------------------------------------- the Datasette plugin


def register_plugin() -> None:
    """Register archiver's plugin with Datasette (once), under the name of this package so
    Datasette finds its ``templates/`` and ``static/``."""
    from datasette.plugins import pm

    from archiver.serve import plugin as hooks

    if pm.get_plugin("archiver") is None:
        module = types.ModuleType(hooks.PLUGIN_NAME, hooks.__doc__)
        for name in HOOKS:
            setattr(module, name, getattr(hooks, name))
        pm.register(module, name="archiver")
        # its error page replaces Datasette's, which also dumps a traceback with locals
        default_errors = pm.get_plugin("datasette.handle_exception")
        if default_errors is not None:
            pm.unregister(default_errors)


# ---------------------------------------------------------------- metadata and argv


def load_metadata(
    db_name: str, *, has_revisions: bool = True, captures: Path | None = None
) -> dict[str, Any]:
    """The shipped metadata, keyed by this database's name (the file's stem); with
    ``captures``, the plugin is told where the WARC files are (``plugins.archiver``)."""
    text = resources.files("archiver.serve").joinpath(METADATA_FILE).read_text(encoding="utf-8")
    metadata: dict[str, Any] = json.loads(text)
    database = metadata["databases"].pop(TEMPLATE_DB_NAME)
    if not has_revisions:  # the revisions table comes with a later schema version
        database["queries"].pop("article_revisions", None)
        database["tables"].pop("revisions", None)
    metadata["databases"][db_name] = database
    if captures is not None:
        metadata.setdefault("plugins", {})["archiver"] = {"captures": str(Path(captures).resolve())}
    return metadata


def _has_table(db_path: Path, name: str) -> bool:
    with connect_readonly(db_path) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if "articles" not in tables:
        raise StoreError(f"{db_path} is not an archiver archive (no articles table)")
    return name in tables


def write_metadata(db_path: Path, dest: Path, captures: Path | None = None) -> Path:
    """Write the metadata for ``db_path`` to ``dest`` (JSON) and return it."""
    has_revisions = _has_table(db_path, "revisions")
    metadata = load_metadata(Path(db_path).stem, has_revisions=has_revisions, captures=captures)
    dest.write_text(json.dumps(metadata, indent=2, ensure_ascii=False), encoding="utf-8")
    return dest


def build_datasette_argv(
    db_path: Path,
    metadata_path: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 8001,
    time_limit_ms: int = SQL_TIME_LIMIT_MS,
    python: str = sys.executable,
) -> list[str]:
    """The command that runs Datasette with archiver's plugin: ``python -m archiver.serve.app ...``.

    Everything after ``-m archiver.serve.app`` is plain ``datasette`` arguments.
    """
    argv = [
        python,
        "-m",
        "archiver.serve.app",
        "serve",
        str(Path(db_path).resolve()),
        "--metadata",
        str(metadata_path),
        "--host",
        host,
        "--port",
        str(port),
        "--setting",
        "sql_time_limit_ms",
        str(time_limit_ms),
    ]
    for name, value in SETTINGS.items():
        argv += ["--setting", name, str(value)]
    return argv


def run_datasette(args: list[str]) -> int:
    """Run Datasette's command line in this process, with the plugin; returns an exit code."""
    from datasette.cli import cli

    from archiver.logs import setup_logging

    setup_logging()  # one line per bad request, from the plugin's error handler
    register_plugin()
    guard.register(args)  # value-size limit, Host check, SQL only when asked (guard.py)
    _exit_cleanly_on_sigterm()
    try:
        cli.main(args=args, prog_name="archiver serve", standalone_mode=False)
    except SystemExit as exc:  # uvicorn exits 1 when it cannot bind
        return exc.code if isinstance(exc.code, int) else 1
    except KeyboardInterrupt:
        return 0
    return 0


def _exit_cleanly_on_sigterm() -> None:
    """uvicorn shuts down gracefully on SIGTERM, then re-raises it: make that an exit 0."""

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(0)

    with contextlib.suppress(ValueError):  # not the main thread: leave signals alone
        signal.signal(signal.SIGTERM, stop)


def serve(
    db_path: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 8001,
    time_limit_ms: int = SQL_TIME_LIMIT_MS,
    captures: Path | None = None,
) -> int:
    """Serve the archive in Datasette until interrupted; returns the exit code. With
    ``captures`` (the WARC directory) each version links to its raw capture record."""
    db_path = Path(db_path)
    with tempfile.TemporaryDirectory(prefix="archiver-serve-") as tmp:
        metadata = write_metadata(db_path, Path(tmp) / "metadata.json", captures)
        argv = build_datasette_argv(
            db_path, metadata, host=host, port=port, time_limit_ms=time_limit_ms
        )
        return run_datasette(argv[3:])


if __name__ == "__main__":
    sys.exit(run_datasette(sys.argv[1:]))
