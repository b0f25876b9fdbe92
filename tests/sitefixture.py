"""Serve a fixture site folder on 127.0.0.1 for end-to-end tests.

    with serve_site(FIXTURES / "site") as site:
        feed_url = site.url("/rss/v2.xml")        # http://127.0.0.1:PORT/rss/v2.xml
        ...poll...
        assert site.requests["/rss/v2.xml"] == 1
        site.put("/economy/1788342", b"<html>...changed...</html>")   # new ETag, newer date

URL paths map to files under the root (the query string is ignored), first match wins:

    /rss/v2.xml                          -> rss/v2.xml              (the exact file)
    /politics/1234567                    -> politics/1234567.html   (path + ".html")
    /world/europe/slug-2024-05-16/       -> world/europe/slug-2024-05-16/index.html
    /arc/outboundfeeds/news-sitemap/     -> arc/outboundfeeds/news-sitemap/index.xml

Every ``{base}`` in a text body (html, xml, rss, atom, txt, json) is replaced by the server's
base URL, ``http://127.0.0.1:PORT``, at serve time. Responses carry Content-Type by extension,
Content-Length, a strong ETag (a hash of the body served) and Last-Modified; If-None-Match and
If-Modified-Since are answered with 304. ``site.put`` / ``site.delete`` change what a path
serves between polls; ``site.requests`` counts GETs and HEADs per path (without query).
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".xml": "application/xml",
    ".rss": "application/rss+xml",
    ".atom": "application/atom+xml",
    ".gz": "application/gzip",
    ".txt": "text/plain; charset=utf-8",
    ".json": "application/json",
}
TEXT_TYPES = ("text/", "application/xml", "application/rss", "application/atom", "application/json")
BASE_PLACEHOLDER = b"{base}"


class Site:
    """A running fixture server: its base URL, what it serves and what it was asked."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.base_url = ""  # set once the server has a port
        self.requests: Counter[str] = Counter()
        self.log: list[tuple[str, str, int]] = []  # (method, path with query, status)
        self._overrides: dict[str, tuple[bytes, str] | None] = {}  # path -> (body, type)
        self._modified: dict[str, float] = {}  # path -> last change (epoch seconds)
        self._lock = threading.Lock()

    def __str__(self) -> str:
        return self.base_url

    def url(self, path: str) -> str:
        return self.base_url + (path if path.startswith("/") else "/" + path)

    def put(self, path: str, content: bytes, content_type: str | None = None) -> None:
        """Serve ``content`` at ``path`` from now on (``{base}`` substituted as for files).

        Last-Modified moves at least one second forward, so If-Modified-Since sees it.
        """
        if content_type is None:
            content_type = CONTENT_TYPES.get(Path(path).suffix, "text/html; charset=utf-8")
        with self._lock:
            self._overrides[path] = (content, content_type)
            self._touch(path)

    def delete(self, path: str) -> None:
        """Answer 404 at ``path`` from now on."""
        with self._lock:
            self._overrides[path] = None
            self._touch(path)

    def resolve(self, path: str) -> tuple[bytes, str, float] | None:
        """(body with ``{base}`` substituted, content type, last modified) or None (404)."""
        with self._lock:
            overridden = path in self._overrides
            override = self._overrides.get(path)
            modified = self._modified.get(path, time.time())
        if overridden:
            if override is None:
                return None
            body, content_type = override
            return self._substitute(body, content_type), content_type, modified
        file = self._file_for(path)
        if file is None:
            return None
        content_type = CONTENT_TYPES.get(file.suffix, "application/octet-stream")
        body = file.read_bytes()
        return self._substitute(body, content_type), content_type, file.stat().st_mtime

    def _touch(self, path: str) -> None:
        previous = self._modified.get(path)
        if previous is None:
            file = self._file_for(path)
            previous = file.stat().st_mtime if file is not None else 0.0
        self._modified[path] = max(time.time(), previous + 1.0)

    def _substitute(self, body: bytes, content_type: str) -> bytes:
        if content_type.startswith(TEXT_TYPES):
            return body.replace(BASE_PLACEHOLDER, self.base_url.encode("ascii"))
        return body

    def _file_for(self, path: str) -> Path | None:
        relative = path.lstrip("/")
        if ".." in Path(relative).parts:
            return None
        candidates = [relative, relative + ".html"]
        if path.endswith("/") or not relative:
            candidates = [relative + "index.html", relative + "index.xml"]
        for candidate in candidates:
            file = self.root / candidate
            if candidate and file.is_file():
                return file
        return None


def _handler_for(site: Site) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "sitefixture/1"

        def do_GET(self) -> None:
            self._answer(send_body=True)

        def do_HEAD(self) -> None:
            self._answer(send_body=False)

        def _answer(self, *, send_body: bool) -> None:
            raw_path = self.path
            path = urlsplit(raw_path).path or "/"
            with site._lock:
                site.requests[path] += 1
            found = site.resolve(path)
            if found is None:
                missing = {"Content-Type": "text/plain"}
                self._finish(raw_path, 404, b"not found\n", missing, send_body)
                return
            body, content_type, modified = found
            etag = '"' + hashlib.sha1(body).hexdigest()[:20] + '"'
            last_modified = formatdate(int(modified), usegmt=True)
            headers = {"Content-Type": content_type, "ETag": etag, "Last-Modified": last_modified}
            if self._not_modified(etag, int(modified)):
                self._finish(raw_path, 304, b"", headers, send_body=False)
                return
            self._finish(raw_path, 200, body, headers, send_body)

        def _not_modified(self, etag: str, modified: int) -> bool:
            if_none_match = self.headers.get("If-None-Match")
            if if_none_match is not None:
                tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
                return etag in tags or "*" in tags
            since = self.headers.get("If-Modified-Since")
            if since:
                try:
                    return modified <= parsedate_to_datetime(since).timestamp()
                except (TypeError, ValueError):
                    return False
            return False

        def _finish(
            self, raw_path: str, status: int, body: bytes, headers: dict[str, str], send_body: bool
        ) -> None:
            with site._lock:  # logged before answering: the client may ask again at once
                site.log.append((self.command, raw_path, status))
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            if status != 304:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if send_body and status != 304:
                self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # quiet in tests
            return

    return Handler


@contextmanager
def serve_site(root: Path) -> Iterator[Site]:
    """Serve ``root`` on 127.0.0.1 at a free port; yields the ``Site`` (``site.base_url``)."""
    site = Site(root)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(site))
    server.daemon_threads = True
    site.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, name="sitefixture", daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
