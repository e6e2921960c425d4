"""README's two opening commands: the first installs what the examples after it import, the
second runs the project's tests; the table of extras names extras pyproject.toml defines."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pytest depends on tomli before 3.11
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
EXTRAS: dict[str, list[str]] = PROJECT["optional-dependencies"]

_FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
_INSTALL = re.compile(r"pip install -e (?:\.|'\.\[([\w,-]+)\]')(?: |$)")
_NAME = re.compile(r"^[A-Za-z0-9_.-]+")
_SELF_EXTRAS = re.compile(r"^mockgpt\[([\w,-]+)\]$")

SECTIONS_AFTER_THE_FIRST_COMMAND = ("## Serve", "## Use in your tests")
"""The sections whose examples the first command sets up."""


def _opening_commands() -> list[str]:
    intro = README[: README.index("\n## ")]
    return [code.strip() for language, code in _FENCE.findall(intro) if language == "sh"]


def _section(title: str) -> str:
    start = README.index(f"\n{title}\n")
    end = README.find("\n## ", start + len(title))
    return README[start : end if end >= 0 else None]


def _name(requirement: str) -> str:
    match = _NAME.match(requirement)
    assert match, requirement
    return match[0].lower()


def _installed(command: str) -> set[str]:
    """The distributions ``pip install -e ...`` in ``command`` asks for: mockgpt's
    dependencies and those of the extras named, lower-cased."""
    match = _INSTALL.search(command)
    assert match, f"no `pip install -e` in {command!r}"
    wanted = [e for e in (match[1] or "").split(",") if e]
    names = {_name(r) for r in PROJECT["dependencies"]}
    while wanted:
        extra = wanted.pop()
        for requirement in EXTRAS[extra]:
            itself = _SELF_EXTRAS.match(requirement)
            if itself:
                wanted += itself[1].split(",")
            else:
                names.add(_name(requirement))
    return names


def _imports(markdown: str) -> set[str]:
    """Top-level modules the Python examples import, but for the standard library and the
    examples' own files (``# myapp.py``)."""
    found: set[str] = set()
    own: set[str] = set()
    for language, code in _FENCE.findall(markdown):
        first = code.splitlines()[0] if code else ""
        if first.startswith("# ") and first.endswith(".py"):
            own.add(first[2:-3])
        if language != "python":
            continue
        for node in ast.walk(ast.parse(code)):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add(node.module.split(".")[0])
    return found - own - set(sys.stdlib_module_names) - {"mockgpt", "conformance"}


def test_setup_readme_opens_with_two_commands() -> None:
    serve, tests = _opening_commands()

    assert serve.endswith(" && mockgpt serve")
    assert tests.endswith(" && pip install -e '.[dev]' && python -m pytest")


@pytest.mark.parametrize("title", SECTIONS_AFTER_THE_FIRST_COMMAND)
def test_setup_first_command_installs_what_the_examples_import(title: str) -> None:
    serve, _tests = _opening_commands()
    needed = _imports(_section(title))

    assert needed, f"{title}: no example imports anything outside the standard library"
    assert needed <= _installed(serve), (
        f"{title} imports {sorted(needed - _installed(serve))}, which README's first command "
        f"({serve!r}) does not install"
    )


def test_setup_table_of_extras_names_extras_that_exist() -> None:
    start = README.index("| section | extra | which adds |")
    rows = README[start:].split("\n\n")[0].splitlines()[2:]
    named = {extra for row in rows for extra in re.findall(r"`(\w+)`", row.split("|")[2])}

    assert rows
    assert named <= set(EXTRAS), sorted(named - set(EXTRAS))
