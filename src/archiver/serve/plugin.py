"""The Datasette plugin that makes the archive a reading room: hooks, pages and error handling.

* ``prepare_connection``: the analyzed search on every connection (``archiver_match``,
  ``archiver_snippet``) and archiver's query language for the table search box (``escape_fts``).
* ``extra_template_vars``: the articles landing view's story cells; the article page's
  paragraphs, URLs, revisions with word diffs and near-duplicate cluster.
* ``render_cell``: times in words inside ``<time datetime=...>``.
* ``register_routes``: ``/-/search`` (ranked, highlighted, the engine of `archiver search`)
  and ``/-/sources`` (source health like `archiver sources`), each also as ``.json``.
* ``asgi_wrapper``: a table search of the articles (``?_search=``) in HTML goes to the
  ranked search page, which keeps its words and filters.
* ``handle_exception``: a readable error page and one log line, never a traceback dump.
* ``register_facet_classes``: a ``day`` facet that lists the newest days first.

Templates and CSS live in ``templates/`` and ``static/`` beside this module; Datasette finds
them because the plugin is registered under the package's name (``archiver.serve``).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar, cast
from urllib.parse import parse_qsl, urlencode

from datasette import Response, hookimpl
from datasette.database import QueryInterrupted
from datasette.facets import DateFacet
from datasette.utils import escape_sqlite, path_with_added_args, path_with_removed_args
from datasette.utils.asgi import Base400, NotFound
from datasette.views.base import DatasetteError
from markupsafe import Markup, escape

from archiver.errors import ArchiverError, QueryError, StoreError
from archiver.logs import event, get_logger
from archiver.search.sqlfunctions import match_expression, passage, register_functions
from archiver.serve.pages import (
    SearchForm,
    article_page,
    capture_of,
    capture_text,
    languages_and_sources,
    search_page,
    sources_page,
)
from archiver.serve.reading import (
    TIME_COLUMNS,
    highlighted,
    lead_or_start,
    parse_time,
    time_html,
    visible,
)
from archiver.timeutil import utcnow

PLUGIN_NAME = "archiver.serve"  # the package holding templates/ and static/
ARTICLES = "articles"
# table arguments the ranked search page understands: a table search with only these moves there
SEARCH_ARGS = {"_search", "source", "language", "published__date", "_sort", "_sort_desc"}
SEARCH_ARGS |= {"_facet", "_facet_day", "_facet_date", "_facet_array", "_size"}
F = TypeVar("F", bound=Callable[..., Any])


def hook(**options: bool) -> Callable[[F], F]:
    """Datasette's ``hookimpl`` (untyped), typed: marks a function as a hook implementation."""
    return cast(Callable[[F], F], hookimpl(**options))


@hook(trylast=True)  # runs last, so its escape_fts wins over Datasette's
def prepare_connection(conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA busy_timeout = 10000")
    register_functions(conn)  # archiver_match, archiver_snippet: the analyzed search
    # the table page's search box calls escape_fts(:search): give it archiver's language
    conn.create_function("escape_fts", 1, lambda text: match_expression(conn, text))


# ---------------------------------------------------------------- templates


def _db_path(datasette: Any, database: str) -> Path:
    return Path(datasette.get_database(database).path)


def safe_url(url: object) -> bool:
    """Whether a URL from the web may be a link: http(s) only, never javascript: or data:."""
    return isinstance(url, str) and url.lower().startswith(("http://", "https://"))


def facets_in_order(facet_results: dict[str, Any], table_metadata: dict[str, Any]) -> list[Any]:
    """Datasette's facet results in the order the metadata lists them, then any others."""
    wanted: list[str] = []
    for facet in table_metadata.get("facets") or []:
        wanted.append(facet if isinstance(facet, str) else str(next(iter(facet.values()))))
    results = list(facet_results.values())
    rank = {name: i for i, name in enumerate(wanted)}
    return sorted(results, key=lambda f: rank.get(f["name"], len(rank)))


def story_cells(row: Any) -> dict[str, Any]:
    """A Datasette display row as {column: cell}, for the landing view's story list."""
    return {cell["column"]: cell for cell in row}


def _passages(
    datasette: Any, database: str, text: str
) -> Callable[[list[Any]], Awaitable[dict[str, Markup]]]:
    """For a table search the ranked page cannot take (other filters): the matched passage
    of each story shown, highlighted, keyed by id (what the template calls)."""

    async def passages(rows: list[Any]) -> dict[str, Markup]:
        ids = [int(story_cells(row)["id"]["raw"]) for row in rows]
        if not text or not ids:
            return {}

        def read(conn: sqlite3.Connection) -> dict[str, str]:
            sql = "SELECT id, title, lead, body, language FROM articles WHERE id IN ({})"
            found = {}
            for id_, title, lead, body, language in conn.execute(
                sql.format(",".join("?" * len(ids))), ids
            ):
                marked = passage(conn, text, title, lead, body, language)
                if marked:
                    found[str(id_)] = marked
            return found

        found = await datasette.get_database(database).execute_fn(read)
        return {key: highlighted(value) for key, value in found.items()}

    return passages


@hook()
def extra_template_vars(
    template: str,
    database: str | None,
    table: str | None,
    view_name: str,
    request: Any,
    datasette: Any,
) -> Callable[[], Awaitable[dict[str, Any]]]:
    async def inner() -> dict[str, Any]:
        values: dict[str, Any] = {"ar_search_url": datasette.urls.path("/-/search")}
        values["ar_sources_url"] = datasette.urls.path("/-/sources")
        values["ar_safe_url"] = safe_url
        if table != ARTICLES or database is None:
            return values
        if view_name == "table":
            args = request.args if request is not None else {}
            chosen = {"_col", "_nocol"} & set(args) or args.get("_view") == "table"
            values["ar_story_view"] = not chosen
            search_text = str(args.get("_search") or "").strip()
            values["ar_passages"] = _passages(datasette, database, search_text)
            values["ar_cells"] = story_cells
            values["ar_facets"] = facets_in_order
            values["ar_lead"] = lead_or_start
            values["ar_time"] = time_html
        elif view_name == "row" and request is not None:
            try:
                article_id = int(request.url_vars["pks"])
            except (KeyError, ValueError):
                return values
            page = await asyncio.to_thread(article_page, _db_path(datasette, database), article_id)
            if page is not None:
                values["ar_page"] = page
                values["ar_captures"] = captures_root(datasette) is not None
                values["ar_capture_url"] = datasette.urls.path("/-/capture")
                values["ar_time"] = time_html
        return values

    return inner


@hook()
def prepare_jinja2_environment(env: Any) -> None:
    env.filters["visible"] = visible


@hook()
def extra_css_urls(datasette: Any) -> list[str]:
    return [datasette.urls.static_plugins(PLUGIN_NAME, "reading.css")]


@hook()
def render_cell(
    value: object, column: str, table: str | None, database: str | None, datasette: Any
) -> Markup | None:
    if column in TIME_COLUMNS and parse_time(value) is not None:
        return time_html(value)
    if table is None and database and column == "article" and isinstance(value, int):
        href = datasette.urls.row(database, ARTICLES, str(value))  # a canned query's story
        return Markup(f'<a href="{escape(href)}">story {value}</a>')
    return None


# ---------------------------------------------------------------- facets


class DayFacet(DateFacet):  # type: ignore[misc]
    """Datasette's date facet with the newest days first (it lists the busiest, oldest first)."""

    type = "day"

    async def facet_results(self) -> tuple[list[dict[str, Any]], list[str]]:
        results: list[dict[str, Any]] = []
        timed_out: list[str] = []
        args = dict(self.get_querystring_pairs())
        size = self.get_facet_size()
        for source_and_config in self.get_configs():
            config = source_and_config["config"]
            column = config.get("column") or config["simple"]
            col = escape_sqlite(column)
            sql = (
                f"select date({col}) as value, count(*) as count from ({self.sql})"
                f" where date({col}) is not null group by date({col})"
                f" order by value desc limit {size + 1}"
            )
            try:
                rows = await self.ds.execute(
                    self.database,
                    sql,
                    self.params,
                    truncate=False,
                    custom_time_limit=self.ds.setting("facet_time_limit_ms"),
                )
            except QueryInterrupted:  # the facet's time limit
                timed_out.append(column)
                continue
            values = []
            for row in rows.rows[:size]:
                key = f"{column}__date"
                selected = str(args.get(key)) == str(row["value"])
                change = path_with_removed_args if selected else path_with_added_args
                values.append(
                    {
                        "value": row["value"],
                        "label": row["value"],
                        "count": row["count"],
                        "toggle_url": self.ds.absolute_url(
                            self.request, change(self.request, {key: row["value"]})
                        ),
                        "selected": selected,
                    }
                )
            results.append(
                {
                    "name": column,
                    "type": self.type,
                    "results": values,
                    "hideable": source_and_config["source"] != "metadata",
                    "toggle_url": path_with_removed_args(self.request, {"_facet_day": column}),
                    "truncated": len(rows.rows) > size,
                }
            )
        return results, timed_out


@hook()
def register_facet_classes() -> list[type]:
    return [DayFacet]


# ---------------------------------------------------------------- pages


def _only_database(datasette: Any) -> str:
    names = [name for name in datasette.databases if not name.startswith("_")]
    return str(names[0])


async def _search_view(datasette: Any, request: Any) -> Response:
    database = _only_database(datasette)
    form = SearchForm.from_args(request.args)
    as_json = request.url_vars.get("format") == "json"
    path = _db_path(datasette, database)
    error = None
    try:
        result = await asyncio.to_thread(search_page, path, form, utcnow())
    except QueryError as exc:
        error = str(exc)
        result = {"hits": [], "total": 0, "per_source": [], "more": False}
    status = 400 if error else 200
    if as_json:
        hits = [{k: v for k, v in h.items() if k != "snippet"} for h in result["hits"]]
        body: dict[str, Any] = {"ok": not error, "q": form.q, "sort": form.sort, "page": form.page}
        body.update(total=result["total"], per_source=result["per_source"], more=result["more"])
        body.update(hits=hits, error=error)
        return Response.json(body, status=status)
    sources, langs = await asyncio.to_thread(languages_and_sources, path)
    context = {
        "form": form,
        "result": result,
        "error": error,
        "database": database,
        "sources": sources,
        "langs": langs,
        "sorts": [("relevance", "best match"), ("newest", "newest first")],
        "page_url": lambda **changes: "?" + urlencode(form.args(**changes)),
        "article_url": lambda i: datasette.urls.row(database, ARTICLES, str(i)),
    }
    html = await datasette.render_template("archiver_search.html", context, request=request)
    return Response.html(html, status=status)


async def _sources_view(datasette: Any, request: Any) -> Response:
    database = _only_database(datasette)
    records = await asyncio.to_thread(sources_page, _db_path(datasette, database), utcnow())
    if request.url_vars.get("format") == "json":
        return Response.json(records, default=str)
    context = {
        "records": records,
        "database": database,
        "source_url": lambda name: (
            datasette.urls.table(database, ARTICLES) + "?" + urlencode({"source": name})
        ),
    }
    html = await datasette.render_template("archiver_sources.html", context, request=request)
    return Response.html(html)


def captures_root(datasette: Any) -> Path | None:
    """Where this server was told the captures are (``plugins.archiver.captures``)."""
    config = datasette.plugin_config("archiver") or {}
    return Path(config["captures"]) if config.get("captures") else None


async def _capture_view(datasette: Any, request: Any) -> Response:
    """One version's capture record: as plain text, or the WARC record itself (.warc.gz)."""
    root = captures_root(datasette)
    if root is None:
        raise NotFound("this server was not told where the captures are (archiver serve does)")
    database = _only_database(datasette)
    revision = int(request.url_vars["revision"])
    try:
        capture = await asyncio.to_thread(capture_of, _db_path(datasette, database), root, revision)
    except StoreError as exc:  # the WARC file is gone or damaged
        raise NotFound(f"the capture of version {revision} cannot be read: {exc}") from exc
    if capture is None:
        raise NotFound(f"version {revision} has no capture record")
    safe = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "sandbox"}
    if request.url_vars.get("format"):
        name = f"archiver-revision-{revision}.warc.gz"
        headers = {**safe, "Content-Disposition": f'attachment; filename="{name}"'}
        return Response(capture.member, content_type="application/warc", headers=headers)
    text = await asyncio.to_thread(capture_text, capture)
    return Response.text(text, headers=safe)


@hook()
def register_routes() -> list[tuple[str, Callable[..., Awaitable[Response]]]]:
    return [
        (r"^/-/search(\.(?P<format>json))?$", _search_view),
        (r"^/-/sources(\.(?P<format>json))?$", _sources_view),
        (r"^/-/capture/(?P<revision>[0-9]{1,18})(?P<format>\.warc\.gz)?$", _capture_view),
    ]


# ---------------------------------------------------------------- search redirect


def search_redirect(path: str, query_string: str, database: str, base: str = "/") -> str | None:
    """Where an HTML table search of the articles goes: the ranked page, or None to stay."""
    if path != f"{base}{database}/{ARTICLES}":
        return None
    pairs = parse_qsl(query_string, keep_blank_values=True)
    args = dict(pairs)
    if not args.get("_search", "").strip() or any(k not in SEARCH_ARGS for k, _ in pairs):
        return None
    target = {"q": args["_search"]}
    if args.get("source"):
        target["source"] = args["source"]
    if args.get("language"):
        target["lang"] = args["language"]
    if args.get("published__date"):
        target["since"] = target["until"] = args["published__date"]
    if args.get("_sort_desc") == "published":
        target["sort"] = "newest"
    return f"{base}-/search?{urlencode(target)}"


@hook()
def asgi_wrapper(datasette: Any) -> Callable[[Any], Any]:
    def wrap(app: Any) -> Any:
        async def wrapped(scope: dict[str, Any], receive: Any, send: Any) -> None:
            if scope.get("type") == "http" and scope.get("method") in ("GET", "HEAD"):
                database = _only_database(datasette)
                base = datasette.setting("base_url") or "/"
                query = scope.get("query_string", b"").decode("latin-1")
                target = search_redirect(scope.get("path", ""), query, database, base)
                if target is not None:
                    await send(
                        {
                            "type": "http.response.start",
                            "status": 302,
                            "headers": [(b"location", target.encode("latin-1"))],
                        }
                    )
                    await send({"type": "http.response.body", "body": b""})
                    return
            await app(scope, receive, send)

        return wrapped

    return wrap


# ---------------------------------------------------------------- errors


def error_status(exception: BaseException) -> tuple[int, str]:
    """The status and one-line message for what went wrong; a bad request is a 4xx."""
    if isinstance(exception, Base400):
        return int(exception.status), str(exception.args[0] if exception.args else exception)
    if isinstance(exception, DatasetteError):
        status = int(exception.status)
        # Datasette answers 500 for a bad _sort, _size or _next: the request is at fault
        return (status if 400 <= status < 500 else 400), " ".join(str(exception.message).split())
    if isinstance(exception, QueryError):
        return 400, str(exception)
    if isinstance(exception, ArchiverError):
        return 503, str(exception)
    return 500, f"{type(exception).__name__}: {' '.join(str(exception).split())}"


@hook(tryfirst=True)
def handle_exception(datasette: Any, request: Any, exception: BaseException) -> Any:
    async def inner() -> Response:
        status, message = error_status(exception)
        level = logging.WARNING if status < 500 else logging.ERROR
        path = request.path if request is not None else "?"
        event(get_logger(), "serve error", level=level, status=status, path=path, error=message)
        if path.endswith(".json"):
            return Response.json({"ok": False, "error": message, "status": status}, status=status)
        context = {"status": status, "error": message, "title": _title(status)}
        context["ar_search_url"] = datasette.urls.path("/-/search")
        html = await datasette.render_template("archiver_error.html", context, request=request)
        return Response.html(html, status=status)

    return inner


def _title(status: int) -> str:
    return {
        400: "That request cannot be answered",
        403: "Not allowed",
        404: "Not found",
        503: "The archive cannot be read right now",
    }.get(status, "Something went wrong" if status >= 500 else "Bad request")
