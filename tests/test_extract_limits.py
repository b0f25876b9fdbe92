"""Hostile pages and regexes: extraction stays linear in the page size (issues 12 and 16)."""

from __future__ import annotations

import contextlib
import importlib
import pkgutil
import re
import re._constants as sre_constants
import re._parser as sre_parse
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import archiver.extract
from archiver.errors import ParseError
from archiver.extract import extract
from archiver.extract.core import parse_html
from archiver.extract.limits import MAX_ATTRIBUTES, MAX_DEPTH, cap_attributes
from archiver.extract.metadata import body_byline

BODY = "<p>" + "The minister said the talks would go on next week in the capital. " * 8 + "</p>"


def _patterns() -> list[tuple[str, re.Pattern[str] | re.Pattern[bytes]]]:
    """Every compiled regex of archiver.extract: module globals, and those held in tuples,
    lists, dicts and dataclasses (the patterns read from the data files)."""
    found: list[tuple[str, Any]] = []

    def walk(where: str, value: Any, depth: int = 0) -> None:
        if depth > 4:
            return
        if isinstance(value, re.Pattern):
            found.append((where, value))
        elif isinstance(value, tuple | list | frozenset | set):
            for item in value:
                walk(where, item, depth + 1)
        elif isinstance(value, dict):
            for item in value.values():
                walk(where, item, depth + 1)
        elif hasattr(value, "__dataclass_fields__") and not isinstance(value, type):
            for name in value.__dataclass_fields__:
                walk(f"{where}.{name}", getattr(value, name, None), depth + 1)

    for info in pkgutil.iter_modules(archiver.extract.__path__):
        module = importlib.import_module(f"archiver.extract.{info.name}")
        for name, value in vars(module).items():
            walk(f"{info.name}.{name}", value)
    return found


_REPEATS = {sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT}
_SAFE = {sre_constants.POSSESSIVE_REPEAT, sre_constants.ATOMIC_GROUP}


def _nested_repeat(items: Any, inside: bool) -> bool:
    """True when a repeat that can match more than once holds another such repeat
    (possessive repeats and atomic groups never give back, so they are safe)."""
    for op, arg in items:
        if op in _SAFE:
            continue
        if op in _REPEATS:
            _low, high, sub = arg
            many = high is sre_constants.MAXREPEAT or high > 1
            if many and inside:
                return True
            if _nested_repeat(sub, inside or many):
                return True
        elif op is sre_constants.SUBPATTERN:
            if _nested_repeat(arg[3], inside):
                return True
        elif op is sre_constants.BRANCH:
            if any(_nested_repeat(b, inside) for b in arg[1]):
                return True
        elif op in (sre_constants.ASSERT, sre_constants.ASSERT_NOT) and _nested_repeat(
            arg[1], inside
        ):
            return True
    return False


def test_the_audit_sees_the_patterns_and_flags_nested_quantifiers() -> None:
    names = {name for name, _ in _patterns()}
    assert "metadata._NAME_LINE" in names and len(names) > 20
    assert "dateline.FORMS.forms.pattern" in names
    assert _nested_repeat(sre_parse.parse(r"^(?:[^\W\d_][\w'’.-]*[ /]?){1,8}$"), False)
    assert _nested_repeat(sre_parse.parse(r"(a+)+b"), False)
    assert not _nested_repeat(sre_parse.parse(r"(?:a++b?){0,9}"), False)


def test_no_regex_in_extract_nests_quantifiers() -> None:
    bad = [
        name
        for name, pattern in _patterns()
        if _nested_repeat(sre_parse.parse(pattern.pattern, pattern.flags), False)
    ]
    assert bad == []


_LINE = st.text(alphabet=st.sampled_from("aZé1 ./-'’_,;:()[]@\u00a0\t"), max_size=400)


@pytest.mark.timeout(30)
@settings(max_examples=300, deadline=None)
@given(_LINE)
def test_every_pattern_is_fast_on_random_lines(line: str) -> None:
    for _name, pattern in _patterns():
        if isinstance(pattern.pattern, str):
            pattern.search(line)
            pattern.match(line)


ADVERSARIAL = [
    "a" * 62 + "!",  # the 62-character line that took minutes
    "Jane" + " Roe" * 7 + "x" * 60 + "1",
    "A" * 5000 + "1",
    ("ab-" * 2000) + "!",
    " " * 10000 + "x",
    "/".join(["Jane"] * 3000) + "!",
    "NEW YORK " * 500 + "(",
    "МОСКВА, " * 300,
    "(" * 5000,
    "-" * 5000,
    "<a " * 5000,
    "=" * 5000,
]


@pytest.mark.timeout(30)
@pytest.mark.parametrize("line", ADVERSARIAL, ids=range(len(ADVERSARIAL)))
def test_every_pattern_is_fast_on_adversarial_lines(line: str) -> None:
    for _name, pattern in _patterns():
        if isinstance(pattern.pattern, str):
            pattern.search(line)
            pattern.match(line)


@pytest.mark.timeout(20)
def test_the_backtracking_byline_page_extracts() -> None:
    name = "a" * 62 + "!"
    page = (
        f"<html><body><article><p><strong>{name}</strong></p>{BODY}"
        f"<p><b>{name}</b></p></article></body></html>"
    )
    extract(page, "https://example.org/story")
    assert body_byline(parse_html(page), [name, "x", name]) == []


@pytest.mark.timeout(20)
def test_bold_byline_still_found() -> None:
    page = f"<html><body><article>{BODY}<p><strong>Jane Roe</strong></p></article></body></html>"
    assert body_byline(parse_html(page), ["x", "Jane Roe"]) == ["Jane Roe"]


def test_control_character_in_the_description_does_not_stop_the_story() -> None:
    desc = "The minister said\x01 the talks would go on next week in the capital"
    page = (
        f'<html><head><title>Talks go on</title><meta name="description" content="{desc}">'
        f'<meta property="og:description" content="{desc}&#1;"></head><body>'
        f"<h1>Talks go on</h1><article><p>{desc}. More words.</p>{BODY}</article>"
        "</body></html>"
    )
    article = extract(page, "https://example.org/talks")
    assert article.title == "Talks go on"
    assert "talks would go on next week" in article.body
    assert "\x01" not in article.body and "\x01" not in (article.lead or "")


@pytest.mark.timeout(60)
def test_100000_attributes_on_one_div() -> None:
    attrs = " ".join(f'data-a{i}="v{i}"' for i in range(100_000))
    page = f"<html><head><title>T</title></head><body><div {attrs}>{BODY}</div></body></html>"
    assert len(page) > 1_000_000
    article = extract(page, "https://example.org/attrs")
    assert "talks would go on" in article.body
    doc = parse_html(page)
    assert max(len(el.attrib) for el in doc.iter()) == MAX_ATTRIBUTES


@pytest.mark.timeout(60)
@pytest.mark.parametrize("sep", [" ", "/", "\n", '"x"'])
def test_crowded_tags_are_cut_however_the_attributes_are_written(sep: str) -> None:
    parts = [f'a{i}="1"' for i in range(5000)] if sep == '"x"' else [f"a{i}" for i in range(5000)]
    if sep == '"x"':
        tag = "<div title='a > b < c' " + "".join(parts) + ">"  # no space after a quote
    else:
        tag = "<div title='a > b < c' " + sep.join(parts) + ">"
    doc = parse_html(f"<html><body>{tag}hello</div></body></html>")
    assert max(len(el.attrib) for el in doc.iter()) <= MAX_ATTRIBUTES
    assert "hello" in doc.text_content()


def test_ordinary_tags_are_untouched() -> None:
    page = '<div class="a" data-x=\'{"k": "<b>"}\' id=x>' + "<p a=1 b=2>t</p>" * 100
    assert cap_attributes(page) == page


@pytest.mark.timeout(60)
@pytest.mark.parametrize("opening", ["<table><tr><td>", "<table>", "<div>", "<span><b>"])
def test_20000_nested_elements(opening: str) -> None:
    closing = "".join(f"</{t[1:]}" for t in reversed(re.findall(r"<\w+>", opening)))
    page = (
        "<html><head><title>Deep</title></head><body>"
        + opening * 20_000
        + BODY
        + closing * 20_000
        + "</body></html>"
    )
    try:
        article = extract(page, "https://example.org/deep")
    except ParseError:
        return
    assert article.title == "Deep"
    depth = max(sum(1 for _ in el.iterancestors()) for el in parse_html(page).iter())
    assert depth <= MAX_DEPTH


@pytest.mark.timeout(120)
def test_time_grows_linearly_with_nesting() -> None:
    """Twice the nesting costs about twice the work (measured in pages, not seconds)."""
    import time

    def cost(n: int) -> float:
        page = "<html><body>" + "<table><tr><td>" * n + BODY + "</td></tr></table>" * n
        start = time.process_time()
        with contextlib.suppress(ParseError):
            extract(page, "https://example.org/deep")
        return time.process_time() - start

    small, large = cost(5_000), cost(40_000)
    assert large < 8 * 4 * max(small, 0.01)  # 8x the input: far below 64x (quadratic)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "<div",
                "<table",
                " a",
                "=",
                '"',
                "'",
                ">",
                "<",
                "/",
                " ",
                "</div>",
                "</table>",
                "<td>",
                "<!--",
                "-->",
                "x",
            ]
        ),
        max_size=400,
    )
)
def test_fuzz_tag_soup_only_parse_error(parts: list[str]) -> None:
    page = "".join(parts) * 20
    with contextlib.suppress(ParseError):
        extract(page, "https://example.org/fuzz")
