"""The README and the house agree: every command and option in the commands table, every
module in the module table, and the layout rules the module table promises."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import click
import pytest

from archiver.cli import main

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
SRC = ROOT / "src" / "archiver"
MODULES = sorted(p for p in SRC.rglob("*.py"))
SHARED_AT_TOP = 8  # at most this many modules beside the stage packages
# SQL that writes, as this code spells it (upper-case keywords)
SQL_WRITE = re.compile(
    r"\b(INSERT\s+(OR\s+\w+\s+)?INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM"
    r"|CREATE\s+(TABLE|INDEX|TRIGGER|VIRTUAL)|DROP\s+(TABLE|INDEX|TRIGGER|VIEW)|ALTER\s+TABLE)\b"
)


def table(heading: str) -> list[list[str]]:
    """The body rows of the first Markdown table at or after ``heading`` (cells stripped)."""
    lines = README[README.index(heading) :].splitlines()
    start = next(n for n, line in enumerate(lines) if line.startswith("|"))
    rows = []
    for line in lines[start + 2 :]:  # past the header and its --- line
        if not line.startswith("|"):
            break
        rows.append([c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]])
    return rows


def command_rows() -> dict[str, str]:
    rows = {}
    for cells in table("## Commands"):
        name = re.match(r"`archiver (\S+)", cells[0])
        assert name, cells[0]
        rows[name.group(1).rstrip("`")] = cells[0]
    return rows


def test_every_command_is_in_the_commands_table_and_only_those() -> None:
    assert isinstance(main, click.Group)
    assert set(command_rows()) == set(main.commands)


def commands_intro() -> str:
    """What the README says of every command above its table (``--config``, the log options)."""
    section = README[README.index("## Commands") :]
    return section[: section.index("\n|")]


@pytest.mark.parametrize("name", sorted(main.commands))
def test_every_option_of_a_command_is_in_its_row(name: str) -> None:
    row, intro = command_rows()[name], commands_intro()
    for param in main.commands[name].params:
        if not isinstance(param, click.Option) or param.hidden:
            continue
        documented = [o for o in param.opts if f"`{o}" in row or f"[{o}" in row or f"`{o}" in intro]
        assert documented, (name, param.opts)


def documented_modules() -> set[Path]:
    found: set[Path] = set()
    for cells in table("| module | does |"):
        head = cells[0]
        top = re.fullmatch(r"`(\w+\.py)`", head)
        package = re.match(r"`([\w/]+)/` \(([^)]*)\)", head)  # a stage or a sub-package
        assert top or package, f"module table: {head!r} is neither `name.py` nor `pkg/` (`a`, ...)"
        if top:
            found.add(SRC / top.group(1))
        else:
            assert package is not None
            for module in re.findall(r"`(\w+)`", package.group(2)):
                found.add(SRC / package.group(1) / f"{module}.py")
    return found


def test_every_module_is_in_the_module_table_and_only_those() -> None:
    actual = {p for p in MODULES if p.name not in ("__init__.py", "__main__.py")}
    documented = documented_modules()
    assert sorted(str(p.relative_to(SRC)) for p in actual - documented) == [], "not in README"
    assert sorted(str(p.relative_to(SRC)) for p in documented - actual) == [], "gone from src"


def test_the_house_rules() -> None:
    top = [p for p in SRC.glob("*.py") if p.name not in ("__init__.py", "__main__.py")]
    assert len(top) <= SHARED_AT_TOP, sorted(p.name for p in top)
    for path in MODULES:
        where = path.relative_to(SRC)
        tree = ast.parse(path.read_text(encoding="utf-8"))
        doc = ast.get_docstring(tree)
        assert doc and doc.splitlines()[0].strip(), f"{where}: no first line saying what it does"
        imported = {
            name.split(".")[0]
            for node in ast.walk(tree)
            for name in (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
        }
        if where.parts[0] != "fetch":
            assert not imported & {"httpx", "httpcore"}, f"{where} imports an HTTP library"
        if where.parts[0] != "store":
            for node in ast.walk(tree):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    assert not SQL_WRITE.search(node.value), f"{where} writes SQL: {node.value!r}"
