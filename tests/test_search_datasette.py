"""Datasette searches as ``archiver search`` does: the articles table's search box and the
search canned query analyze the query the same way (in-process Datasette, the shipped
metadata and plugin)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from archiver.search import search
from archiver.serve.app import load_metadata, register_plugin

from search_helpers import Story, build_archive

FIXTURE = Path(__file__).parent / "fixtures" / "search" / "stories.json"
QUERIES = [
    "переговоры",
    "Verhandlung",
    "外交部",
    "서울",
    "経済",
    "министр OR 首相",
    '"经济合作"',
    "bakan -seçim",
    "title:переговоры",
    "Verhandl*",
    'NEAR( "',  # nothing to search: no rows, no error
]


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    stories = json.loads(FIXTURE.read_text(encoding="utf-8"))["stories"]
    path = tmp_path_factory.mktemp("ds") / "archive.db"
    return build_archive(
        path,
        [
            Story(
                url=f"https://agency.test/{s['id']}",
                title=s["title"],
                body=s["body"],
                language=s["language"],
            )
            for s in stories
        ],
    )


def _get(archive: Path, paths: list[str]) -> list[Any]:
    from datasette.app import Datasette

    register_plugin()
    ds = Datasette([str(archive)], metadata=load_metadata(archive.stem))

    async def run() -> list[Any]:
        out = []
        for p in paths:
            response = await ds.client.get(p)
            assert response.status_code == 200, response.text
            out.append(response.json())
        return out

    return asyncio.run(run())


def _expected(archive: Path, q: str) -> set[int]:
    try:
        return {h.id for h in search(archive, q, all_versions=True, limit=1000)}
    except Exception:
        return set()


def test_table_search_box_and_canned_query_find_what_archiver_search_finds(
    archive: Path,
) -> None:
    from urllib.parse import quote

    table = [f"/archive/articles.json?_search={quote(q)}&_shape=array&_size=max" for q in QUERIES]
    canned = [f"/archive/search_with_snippets.json?q={quote(q)}&_shape=array" for q in QUERIES]
    results = _get(archive, table + canned)
    found_any = 0
    for i, q in enumerate(QUERIES):
        expected = _expected(archive, q)
        found_any += bool(expected)
        assert {r["id"] for r in results[i]} == expected, q
        rows = results[len(QUERIES) + i]
        assert {r["article"] for r in rows} == expected, q
    assert found_any == len(QUERIES) - 1


def test_canned_query_snippets_mark_inflected_and_cjk_words(archive: Path) -> None:
    from urllib.parse import quote

    paths = [f"/archive/search_with_snippets.json?q={quote(q)}&_shape=array" for q in QUERIES[:3]]
    rows = _get(archive, [paths[0], paths[2]])
    assert "[переговорах]" in rows[0][0]["snippet"]
    assert "[外交部]" in rows[1][0]["snippet"]
