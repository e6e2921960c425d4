"""The README's "Use in your tests" snippets, run verbatim with pytester.

The section is read from README.md once it is there, else from ``README_section.md`` beside
this file. Fenced blocks whose first line is ``# <file name>`` are files of one example
project: each ``test_*.py`` block runs in its own pytester directory, with every other named
file (the application, scenario files) and the ``pyproject.toml`` block just before it, if
any. A ```` ```text ```` block right after a test block is output the run must show, line by
line; otherwise the run must pass.
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

HERE = Path(__file__).parent
README = HERE.parents[1] / "README.md"
TITLE = "## Use in your tests"

_FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)

PYTEST_SETTINGS = [
    'addopts = ["-p", "no:cacheprovider"]',
    'filterwarnings = ["error"]',
]
if importlib.util.find_spec("pytest_asyncio") is not None:
    PYTEST_SETTINGS.append('asyncio_default_fixture_loop_scope = "function"')


def section() -> str:
    """The section's markdown, from README.md."""
    readme = README.read_text(encoding="utf-8")
    start = readme.find(f"\n{TITLE}\n")
    assert start >= 0, f"README.md has no {TITLE!r} section"
    end = readme.find("\n## ", start + len(TITLE))
    return readme[start : end if end >= 0 else None]


@dataclass
class Example:
    """One test file of the README with what it runs with."""

    name: str
    code: str
    config: str | None = None
    expected_output: list[str] = field(default_factory=list)


def examples(markdown: str) -> tuple[dict[str, str], list[Example]]:
    """The README's support files (name -> text) and its test files, in order."""
    files: dict[str, str] = {}
    tests: list[Example] = []
    config: str | None = None
    last: Example | None = None
    for match in _FENCE.finditer(markdown):
        language, code = match.group(1), match.group(2)
        first = code.splitlines()[0] if code else ""
        name = first[2:].strip() if first.startswith("# ") else None
        if language == "text" and last is not None:
            last.expected_output = [line for line in code.splitlines() if line.strip()]
        elif name == "pyproject.toml":
            config = code
        elif name is not None and name.startswith("test_") and name.endswith(".py"):
            last = Example(name, code, config)
            tests.append(last)
            config = None
            continue
        elif name is not None:
            files[name] = code
        last = None
    return files, tests


FILES, TESTS = examples(section())


def test_readme_section_has_examples() -> None:
    assert len(TESTS) >= 5
    assert "myapp.py" in FILES


@pytest.mark.parametrize("example", TESTS, ids=[t.name for t in TESTS])
def test_readme_example(pytester: pytest.Pytester, example: Example) -> None:
    for name, text in FILES.items():
        (pytester.path / name).write_text(text, encoding="utf-8")
    config = example.config or "[tool.pytest.ini_options]\n"
    (pytester.path / "pyproject.toml").write_text(
        config + "\n".join(PYTEST_SETTINGS) + "\n", encoding="utf-8"
    )
    (pytester.path / example.name).write_text(example.code, encoding="utf-8")

    result = pytester.runpytest(example.name)

    if example.expected_output:
        result.stdout.fnmatch_lines(
            [re.sub(r"([*?\[])", r"[\1]", line) for line in example.expected_output]
        )
    else:
        outcomes = result.parseoutcomes()
        assert outcomes.get("passed", 0) >= 1, result.stdout.str()
        assert set(outcomes) <= {"passed"}, result.stdout.str()
