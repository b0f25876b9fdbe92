"""Regression guard on the real pages in ../shared/corpus (skipped when it is absent).

Runs the scorer's own metrics (../shared/tools/score_extraction.py) on archiver.extract and
guards each score a little below what it reached when this test was written.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

SHARED = Path(__file__).resolve().parents[2] / "shared"
MANIFEST = SHARED / "corpus" / "manifest.jsonl"
SCORER = SHARED / "tools" / "score_extraction.py"

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.slow,
    pytest.mark.skipif(
        not (MANIFEST.exists() and SCORER.exists()), reason="../shared corpus or scorer is absent"
    ),
]

# reached when written: body 0.941, title 0.933, published 1.000, authors 0.916, lead 0.800
FLOORS = {"body": 0.935, "title": 0.91, "published": 0.98, "authors": 0.90, "lead": 0.78}


def scorer() -> ModuleType:
    spec = importlib.util.spec_from_file_location("score_extraction", SCORER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def result() -> dict[str, Any]:
    tool = scorer()
    pages = tool.load(MANIFEST)
    scores: dict[str, Any] = tool.score(pages, tool.make_archiver())
    return scores


def test_no_errors(result: dict[str, Any]) -> None:
    errors = [m for m in result["misses"] if "Error" in m]
    assert result["errors"] == 0, errors


@pytest.mark.parametrize("metric", sorted(FLOORS))
def test_score_floor(result: dict[str, Any], metric: str) -> None:
    value = result[metric].get("f1", result[metric].get("accuracy"))
    assert value >= FLOORS[metric], (metric, value, result["misses"])
