"""The ``archiver`` command: thin click commands that parse options, call one library
function and format its result. Errors are one line on stderr and a non-zero exit."""

from __future__ import annotations

import dataclasses
import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from archiver.config import ArchiveSettings, Config, load_config
from archiver.errors import ArchiverError, NotFound
from archiver.logs import escape, setup_logging
from archiver.models import SourceHealth

F = TypeVar("F", bound=Callable[..., Any])
EXIT_ERROR = 2
EXIT_INTERNAL = 3
EXIT_NOT_FOUND = 1
EXIT_INTERRUPTED = 130


def _fail(message: str, code: int = EXIT_ERROR) -> None:
    click.echo(f"archiver: {escape(message)}", err=True)
    sys.exit(code)


def friendly(func: F) -> F:
    """Turn every expected error into one line and an exit code; no tracebacks."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        for name, value in kwargs.items():
            if not _is_utf8(value):  # bytes that are not UTF-8 (surrogate-escaped by click)
                _fail(f"{name.replace('_', '-')}: not valid UTF-8 text")
        try:
            return func(*args, **kwargs)
        except ArchiverError as exc:
            _fail(str(exc), EXIT_NOT_FOUND if isinstance(exc, NotFound) else EXIT_ERROR)
        except OSError as exc:  # a folder that cannot be written, a disk that is full
            where = f"{exc.filename}: " if exc.filename else ""
            _fail(f"{where}{exc.strerror or exc}")
        except KeyboardInterrupt:
            _fail("interrupted", 130)
        except BrokenPipeError:
            sys.stderr.close()
            sys.exit(0)
        except Exception as exc:
            if os.environ.get("ARCHIVER_DEBUG"):
                raise
            _fail(
                f"internal error: {type(exc).__name__}: {exc} (set ARCHIVER_DEBUG=1 to see where)",
                EXIT_INTERNAL,
            )

    return wrapper  # type: ignore[return-value]


def _is_utf8(value: Any) -> bool:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return True
    if isinstance(value, tuple | list):
        return all(_is_utf8(v) for v in value)
    return True


config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="config file (default ./config.toml or $ARCHIVER_CONFIG)",
)


def _config(path: str | None, *, with_rules: bool = True) -> Config:
    return load_config(path, with_rules=with_rules)


def log_options(func: F) -> F:
    """``-q`` / ``-v`` / ``--log-format`` for the commands that log their work."""
    func = click.option(
        "--log-format",
        type=click.Choice(["text", "json"]),
        default=None,
        help="log lines as text or JSON (default: text on a terminal, JSON otherwise)",
    )(func)
    func = click.option("-v", "--verbose", is_flag=True, help="log debug lines too")(func)
    return click.option("-q", "--quiet", is_flag=True, help="log warnings and errors only")(func)


def _logs(quiet: bool, verbose: bool, log_format: str | None) -> None:
    import logging

    level = logging.WARNING if quiet else logging.DEBUG if verbose else logging.INFO
    setup_logging(json_lines=None if log_format is None else log_format == "json", level=level)


_NO_ARGS: Any = getattr(click.exceptions, "NoArgsIsHelpError", ())


class OneLineErrors(click.Group):
    """Usage mistakes, like every other error, are one line and exit code 2."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["standalone_mode"] = False
        try:
            code = super().main(*args, **kwargs)
        except _NO_ARGS as exc:  # plain `archiver`: the help, as usual
            click.echo(exc.ctx.get_help() if exc.ctx else exc.format_message())
            sys.exit(0)
        except click.ClickException as exc:
            ctx = getattr(exc, "ctx", None)
            hint = f" (see {ctx.command_path} --help)" if ctx else ""
            _fail(f"{exc.format_message()}{hint}", exc.exit_code)
        except click.exceptions.Abort:
            _fail("aborted", 1)
        sys.exit(code if isinstance(code, int) else 0)


@click.group(cls=OneLineErrors, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="archiver")
def main() -> None:
    """Archive what news agencies publish: poll, extract, store, search."""


@main.command()
@config_option
@log_options
@friendly
def run(config_path: str | None, quiet: bool, verbose: bool, log_format: str | None) -> None:
    """Run the daemon: poll each source when due, until SIGTERM or Ctrl-C; SIGHUP reloads."""
    from archiver.poll.daemon import Daemon

    config = _config(config_path)
    _logs(quiet, verbose, log_format)
    daemon = Daemon(config)
    code = daemon.run()
    if daemon.abandoned:  # a worker still stuck after the grace period: do not wait for it
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


@main.command()
@click.argument("names", nargs=-1)
@config_option
@log_options
@friendly
def poll(
    names: tuple[str, ...],
    config_path: str | None,
    quiet: bool,
    verbose: bool,
    log_format: str | None,
) -> None:
    """Poll now: every enabled source, or the NAMES given. Exit 1 if any failed.

    A source another poller holds (the daemon, a cron job) is skipped as busy. Ctrl-C stops
    within a few seconds; links left over are fetched by the next poll, soon."""
    import contextlib
    import threading

    from archiver.cli.render import plain_table, poll_summary
    from archiver.logs import event, get_logger
    from archiver.poll.once import STOP_GRACE, poll_now
    from archiver.poll.pipeline import is_failure
    from archiver.poll.signals import name_of, stop_on

    config = _config(config_path)
    _logs(quiet, verbose, log_format)
    for name in names:
        config.source(name)  # a typo is an error before anything starts
    stop = threading.Event()

    def stopping(signum: int) -> None:
        event(get_logger(), "stopping", signal=name_of(signum), grace_s=STOP_GRACE)

    count = len(names) or len([s for s in config.sources if s.enabled])
    live: contextlib.AbstractContextManager[Any] = contextlib.nullcontext()
    if sys.stderr.isatty() and not quiet and count:
        from archiver.cli.progress import LiveDisplay

        live = LiveDisplay(count)
    with stop_on(stop, on_signal=stopping), live as display:
        run = poll_now(config, names, display=display, stop=stop)
    click.echo(plain_table(poll_summary(run.reports)))
    code = 1 if any(is_failure(r) for r in run.reports) else 0
    if run.interrupted:
        click.echo("archiver: interrupted; the next poll picks up what is left", err=True)
        code = EXIT_INTERRUPTED
    if run.abandoned:  # a poll still stuck after the grace period: do not wait for it
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


@main.command()
@click.argument("urls", nargs=-1, required=True)
@click.option("--source", default="added", show_default=True, help="the source to file them under")
@config_option
@log_options
@friendly
def add(
    urls: tuple[str, ...],
    source: str,
    config_path: str | None,
    quiet: bool,
    verbose: bool,
    log_format: str | None,
) -> None:
    """Archive these pages now (a link you were sent). Exit 1 if any could not be archived."""
    import threading

    from archiver.poll.once import add_urls
    from archiver.poll.signals import stop_on

    for url in urls:
        if not url.lower().startswith(("http://", "https://")):
            raise ArchiverError(f"{url!r} is not an http(s) URL")
    config = _config(config_path)
    _logs(quiet, verbose, log_format)
    stop = threading.Event()
    with stop_on(stop):
        results = add_urls(config, urls, source=source, stop=stop)
    bad = 0
    for url, outcome, error in results:
        ok = outcome in ("new", "revision", "unchanged", "alias")
        bad += not ok
        click.echo(f"{outcome:<10} {escape(url)}" + ("" if ok else f"  ({escape(error or '')})"))
    sys.exit(1 if bad or len(results) < len(urls) else 0)


@main.command(context_settings={"ignore_unknown_options": True})
@click.argument("query", nargs=-1)
@click.option("--source", "sources", multiple=True, help="only this source (repeatable)")
@click.option("--since", help="published on or after: 2024-05-01, 2024-05-01T12:00, 7d, 12h")
@click.option("--until", help="published before: a date, a datetime or 7d-style")
@click.option("--lang", help="language code, e.g. en, ru")
@click.option("--limit", type=click.IntRange(1, 10_000), default=20, show_default=True)
@click.option(
    "--sort", type=click.Choice(["relevance", "newest"]), default="relevance", show_default=True
)
@click.option("--all", "all_versions", is_flag=True, help="every article, not one per story")
@click.option("--raw", is_flag=True, help="pass the query to FTS5 as it is (experts)")
@click.option("--count", "count_only", is_flag=True, help="totals per source instead of hits")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
)
@config_option
@friendly
def search(
    query: tuple[str, ...],
    sources: tuple[str, ...],
    since: str | None,
    until: str | None,
    lang: str | None,
    limit: int,
    sort: str,
    all_versions: bool,
    raw: bool,
    count_only: bool,
    fmt: str,
    config_path: str | None,
) -> None:
    """Full-text search of the archive, best first, with snippets."""
    from archiver import search as searching
    from archiver.cli.hits import format_counts, format_hits
    from archiver.timeutil import utcnow

    config = _config(config_path, with_rules=False)
    now = utcnow()
    text = " ".join(query)
    options: dict[str, Any] = {
        "raw": raw,
        "source": sources,
        "lang": lang,
        "since": searching.parse_when(since, now) if since else None,
        "until": searching.parse_when(until, now, end=True) if until else None,
    }
    archive = config.archive.url or config.archive.path
    if count_only:
        counts = searching.count(archive, text, **options)
        click.echo(format_counts(counts, fmt))
        _index_warning(archive)
        return
    hits = searching.search(
        archive,
        text,
        limit=limit,
        sort=sort,
        all_versions=all_versions,
        **options,
    )
    out = format_hits(hits, fmt, color=fmt == "table" and sys.stdout.isatty())
    if out:
        click.echo(out)
    elif fmt == "table":
        click.echo("no matches", err=True)
    _index_warning(archive)


def _index_warning(archive: Path | str) -> None:
    """One line on standard error when the search index is not whole or not current."""
    from archiver.search import index_warning

    warning = index_warning(archive)
    if warning:
        click.echo(f"warning: {warning}", err=True)


@main.command()
@click.argument("key")
@click.option("--revisions", is_flag=True, help="list every version of the article")
@click.option("--diff", is_flag=True, help="what changed between the first and the latest version")
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@config_option
@friendly
def show(key: str, revisions: bool, diff: bool, fmt: str, config_path: str | None) -> None:
    """Show one article by id or any of its URLs (tracking parameters, AMP, aliases too)."""
    from archiver.cli.render import article_text, to_json
    from archiver.store import open_store

    config = _config(config_path, with_rules=False)
    _require_archive(config.archive)
    with open_store(config.archive, readonly=True) as store:
        if store.schema_version() < 2:
            raise ArchiverError(
                "this archive was made by an older archiver: run `archiver poll`"
                " once to bring it forward"
            )
        record = store.find_article(key)
        if revisions or diff:
            from archiver.search.history import attach_revisions

            record = attach_revisions(store, record, diff=diff)
    if fmt == "json":
        click.echo(to_json(record))
        return
    click.echo(article_text(record))
    if revisions or diff:
        from archiver.search.history import revisions_text

        click.echo(revisions_text(record, diff=diff))


def _with_config(rows: list[SourceHealth], config: Config) -> list[SourceHealth]:
    """The archive's source rows as the config has them now (what a sync would write):
    sources not polled yet are there, sources dropped from the config are disabled."""
    by_name = {r.name: r for r in rows}
    out = []
    for s in config.sources:
        known = by_name.pop(s.name, None) or SourceHealth(name=s.name, kind=s.kind, url=s.url)
        out.append(
            dataclasses.replace(
                known, kind=s.kind, url=s.url, every_s=s.every.total_seconds(), enabled=s.enabled
            )
        )
    out += [dataclasses.replace(r, enabled=False) for r in by_name.values()]
    return sorted(out, key=lambda r: (not r.enabled, r.name))


def _require_sqlite(archive: ArchiveSettings) -> None:
    """Commands that open the SQLite file itself (serve, backup, stats)."""
    if archive.url:
        raise ArchiverError(
            "this command reads a SQLite archive; take a snapshot of the PostgreSQL one with"
            " `archiver copy` and point a config's [archive] path at it"
        )
    _require_archive(archive)


def _require_archive(archive: ArchiveSettings) -> None:
    if archive.url:  # PostgreSQL: opening it says whether it is there
        return
    path = archive.path
    if not path.exists():
        raise ArchiverError(f"no archive at {path} yet (run `archiver poll` first)")


@main.command()
@click.option(
    "--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True
)
@config_option
@friendly
def sources(fmt: str, config_path: str | None) -> None:
    """Each source's health: status, last poll, next check, errors, articles, who polls it."""
    from archiver.cli.render import health_records, plain_table, sources_table, to_json
    from archiver.store import open_store
    from archiver.store.leases import live_leases
    from archiver.timeutil import utcnow

    config = _config(config_path, with_rules=False)
    now = utcnow()
    rows: list[SourceHealth] = []
    holders: dict[str, str] = {}
    # read-only: nothing is created, migrated or synced
    if config.archive.url or config.archive.path.exists():
        with open_store(config.archive, readonly=True) as store:
            rows = store.sources_health()
            holders = {
                name: f"pid {lease.pid} on {lease.host}"
                for name, lease in live_leases(store.conn, now).items()
            }
    records = health_records(_with_config(rows, config), now)
    for record in records:
        record["polled_by"] = holders.get(record["name"])
    if fmt == "json":
        click.echo(to_json(records))
    else:
        click.echo(plain_table(sources_table(records, now)))


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--url", help="the page's URL (chooses the site rule; default: file://...)")
@click.option("--charset", help="the charset the server declared, if known")
@click.option(
    "--format", "fmt", type=click.Choice(["json", "text"]), default="text", show_default=True
)
@config_option
@friendly
def extract(
    file: Path, url: str | None, charset: str | None, fmt: str, config_path: str | None
) -> None:
    """Run the extractor on a saved page and print every field."""
    from archiver.cli.render import article_record, article_text, to_json
    from archiver.extract import SiteRule
    from archiver.extract import extract as run_extract

    rules: tuple[SiteRule, ...] = ()
    if config_path or Path("config.toml").exists() or os.environ.get("ARCHIVER_CONFIG"):
        rules = _config(config_path).rules
    try:
        content = file.read_bytes()
    except OSError as exc:
        raise ArchiverError(f"{file}: cannot read: {exc.strerror}") from None
    article = run_extract(
        content, url or file.resolve().as_uri(), charset=charset, rules=rules or None
    )
    record = article_record(article)
    click.echo(to_json(record) if fmt == "json" else article_text(record))


@main.command()
@click.option("--source", help="only the articles of this source")
@click.option("--restart", is_flag=True, help="start over instead of resuming an interrupted run")
@config_option
@friendly
def reextract(source: str | None, restart: bool, config_path: str | None) -> None:
    """Run extraction again on the raw captures; add revisions where the text changed.

    Pages are extracted on every core ([daemon] extract_workers); an interrupted run is
    resumed where it stopped by the next one with the same --source and rules."""
    from archiver.poll.reextract import capture_bytes
    from archiver.poll.reextract import reextract as run_reextract
    from archiver.poll.workers import open_pool
    from archiver.store import open_store

    config = _config(config_path)
    if source is not None:
        config.source(source)  # a typo is an error, not an empty run
    root = config.archive.captures
    pool = open_pool(
        config.daemon.extract_workers,
        timeout=config.daemon.extract_timeout,
        rules=config.rules,
        prestart=True,
    )
    try:
        with open_store(config.archive) as store:
            store.migrate()
            run = functools.partial(
                run_reextract,
                store,
                root,
                source=source,
                rules=config.rules,
                pool=pool,
                restart=restart,
            )
            if sys.stderr.isatty():
                from archiver.cli.reextract_bar import reextract_bar

                with reextract_bar(capture_bytes(root)) as progress:
                    counts = run(progress=progress)
            else:
                counts = run()
    finally:
        if pool is not None:
            pool.close()
    order = ("new", "revision", "unchanged", "alias", "history", "skipped", "failed")
    line = ", ".join(f"{k}: {counts.get(k, 0)}" for k in order)
    if counts.get("resumed"):
        line += f" (resumed: {counts['resumed']} done before)"
    click.echo(line)


@main.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="address to listen on (localhost only unless you say otherwise)",
)
@click.option("--port", type=click.IntRange(0, 65535), default=8001, show_default=True)
@config_option
@friendly
def serve(host: str, port: int, config_path: str | None) -> None:
    """Browse the archive in Datasette (read-only)."""
    import socket

    config = _config(config_path, with_rules=False)
    _require_sqlite(config.archive)
    if host not in ("127.0.0.1", "localhost", "::1"):
        click.echo(
            f"archiver: warning: serving the archive on {host}:{port} to the network,"
            " without authentication: anyone who can reach this port can read it",
            err=True,
        )
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise ArchiverError(
                f"cannot listen on {host}:{port}: {exc.strerror}"
                " (another `archiver serve`? try --port 8002)"
            ) from None
    from archiver.serve.app import serve as run_serve

    sys.exit(run_serve(config.archive.path, host=host, port=port, captures=config.archive.captures))


@main.command()
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
@config_option
@friendly
def backup(dest: Path, config_path: str | None) -> None:
    """Copy the archive and its captures to DEST, consistently, while the daemon runs."""
    from archiver.cli.stats import human
    from archiver.store.backup import backup as run_backup

    config = _config(config_path, with_rules=False)
    _require_sqlite(config.archive)
    report = run_backup(config.archive.path, config.archive.captures, dest)
    click.echo(
        f"{report.database}: {human(report.database_bytes)}; captures: {report.captures_copied}"
        f" files copied ({human(report.capture_bytes)}), {report.captures_kept} already there"
    )


@main.command()
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@config_option
@friendly
def stats(fmt: str, config_path: str | None) -> None:
    """Articles per source and per day, database and capture sizes, last success per source."""
    from archiver.cli.render import plain_table, to_json
    from archiver.cli.stats import collect, stats_text
    from archiver.store.readonly import connect_readonly
    from archiver.timeutil import utcnow

    config = _config(config_path, with_rules=False)
    _require_sqlite(config.archive)
    with connect_readonly(config.archive.path) as conn:
        record = collect(conn, config.archive.path, config.archive.captures, utcnow())
    click.echo(to_json(record) if fmt == "json" else stats_text(record, plain_table))


if __name__ == "__main__":  # pragma: no cover
    main()


@main.command()
@click.argument("src")
@click.argument("dest")
@click.option("--batch", type=click.IntRange(1, 100_000), default=2000, show_default=True)
@friendly
def copy(src: str, dest: str, batch: int) -> None:
    """Copy an archive between SQLite and PostgreSQL (SRC and DEST: a file or a
    postgresql:// URL), in batches; an interrupted copy resumes where it stopped."""
    from archiver.config import ArchiveSettings
    from archiver.store import open_store
    from archiver.store.pg.copy import copy_archive, is_url

    def settings(target: str) -> ArchiveSettings:
        return ArchiveSettings(url=target) if is_url(target) else ArchiveSettings(path=Path(target))

    if not is_url(src):
        _require_archive(settings(src))
    with open_store(settings(src), readonly=True) as source, open_store(settings(dest)) as target:
        if sys.stderr.isatty():
            from rich.progress import Progress

            with Progress(transient=True) as bar:
                task = bar.add_task("copying", total=None)
                result = copy_archive(
                    source,
                    target,
                    batch=batch,
                    progress=lambda done, total: bar.update(task, completed=done, total=total),
                )
        else:
            result = copy_archive(source, target, batch=batch)
    rows = ", ".join(f"{n} {table}" for table, n in result.rows.items())
    click.echo(f"{'resumed and ' if result.resumed else ''}copied {rows}")
