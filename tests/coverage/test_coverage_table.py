"""COVERAGE.md classifies every method of the installed SDK and is up to date.

These run with the SDK CI installs with the ``dev`` extra (openai 3.x): a new SDK release with a
method nothing classifies fails here, naming the method, its route and how to classify it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import openai
import pytest
import sdk_coverage
from sdk_coverage import COMMAND, NOT_SERVED, OUTPUT, Notes, Served, classify, generate
from sdk_routes import sdk_methods


@pytest.fixture(scope="module")
def classified() -> tuple[list[sdk_coverage.Row], list[str]]:
    return classify(sdk_methods(), Notes.load(), Served.by_mockgpt())


def test_every_sdk_method_is_classified(
    classified: tuple[list[sdk_coverage.Row], list[str]],
) -> None:
    rows, problems = classified
    unclassified = [problem for problem in problems if "is unclassified" in problem]
    assert not unclassified, "\n".join(unclassified)
    assert {row.name for row in rows} == set(sdk_methods())


def test_every_note_names_a_method_the_sdk_has(
    classified: tuple[list[sdk_coverage.Row], list[str]],
) -> None:
    _, problems = classified
    assert not problems, "\n".join(problems)


def test_every_not_served_row_says_why(
    classified: tuple[list[sdk_coverage.Row], list[str]],
) -> None:
    rows, _ = classified
    assert [row.name for row in rows if row.status == NOT_SERVED and not row.note] == []


def test_checked_in_coverage_md_is_what_the_script_generates() -> None:
    text, _ = generate()
    checked_in = OUTPUT.read_text(encoding="utf-8")
    assert checked_in == text, (
        f"COVERAGE.md is out of date for openai {openai.__version__} and mockgpt's route "
        f"table: run `{COMMAND}` and commit the result"
    )


def test_check_command_passes_on_the_checked_in_file() -> None:
    done = subprocess.run(
        [sys.executable, "scripts/sdk_coverage.py", "--check"],
        cwd=OUTPUT.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (done.returncode, done.stderr) == (0, "")


def test_check_command_fails_on_a_stale_file_naming_the_command(tmp_path: Path) -> None:
    stale = tmp_path / "COVERAGE.md"
    stale.write_text(OUTPUT.read_text(encoding="utf-8").replace("| served |", "| partial |"))
    done = subprocess.run(
        [sys.executable, "scripts/sdk_coverage.py", "--check", "--output", str(stale)],
        cwd=OUTPUT.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert done.stderr == f"COVERAGE.md is out of date: run `{COMMAND}`\n"


def test_the_script_writes_the_same_bytes_in_another_process(tmp_path: Path) -> None:
    output = tmp_path / "COVERAGE.md"
    subprocess.run(
        [sys.executable, "scripts/sdk_coverage.py", "--output", str(output)],
        cwd=OUTPUT.parent,
        env={**os.environ, "PYTHONHASHSEED": "1"},  # another set order than this process's
        check=True,
    )
    assert output.read_text(encoding="utf-8") == generate()[0]
