"""Imported once by the extraction forkserver: loads the extractor and the search analyzer and
runs them on two small pages, so every worker forks with its parsers, rules, stemmers and
lazily built tables already made (the first generic extraction in a fresh process costs
~0.7 s otherwise), the language model among them."""

from __future__ import annotations

import contextlib
import gc
import sys

# trafilatura imports py3langid when it is installed (and so numpy, ~12 MB) only to filter
# by a target language, which archiver never sets: not in the extraction processes
sys.modules.setdefault("py3langid", None)  # type: ignore[arg-type]

from archiver.errors import ArchiverError  # noqa: E402
from archiver.extract.core import extract  # noqa: E402
from archiver.store.searchindex import analyzed  # noqa: E402

PAGES = (
    (
        b"<html lang='en'><head><title>Warm up</title></head><body><article><h1>Warm up</h1>"
        b"<p>OSLO, May 16 (Wire) - A paragraph long enough to count as the body of a story,"
        b" with a second sentence in it.</p><p>And another paragraph.</p></article></body>"
        b"</html>",
        "https://example.org/2024/05/16/warm-up",
    ),
    (
        b"<html><head><title>Warm up</title></head><body><h1>Warm up</h1>"
        b"<div class='text-block'><p>MOSCOW, May 16. /TASS/. A story.</p></div></body></html>",
        "https://tass.com/world/1",
    ),
)


def warm() -> None:
    for body, url in PAGES:
        with contextlib.suppress(ArchiverError):
            article = extract(body, url)
            analyzed(article.title, article.lead, article.body, article.language)


warm()
# what is loaded now is kept for good: out of the collector's reach, so workers forked from
# here do not copy the pages it would touch (their memory stays shared with the server)
gc.freeze()
