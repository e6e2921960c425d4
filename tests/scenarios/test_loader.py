"""Loading scenario files: every error names the file, the line and the field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mockgpt.errors import ScenarioError
from mockgpt.scenarios import (
    Scenario,
    builtin_names,
    load_scenario,
    scenario_errors,
    validate_files,
)
from tests.scenarios.helpers import readme_scenario_snippets


def write(tmp_path: Path, text: str, name: str = "weather.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def load_error(path: Path) -> ScenarioError:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    return caught.value


@pytest.mark.parametrize(
    ("text", "line", "field", "reason"),
    [
        (
            "name: w\nstubs:\n  - match: {model: m}\n    respond: {content: hi}\n    bogus: 1\n",
            5,
            "stubs[0].bogus",
            "unknown field",
        ),
        (
            "name: w\nbogus: 1\n",
            2,
            "bogus",
            "unknown field",
        ),
        (
            "stubs:\n  - match:\n      n: many\n    respond: {content: hi}\n",
            3,
            "stubs[0].match.n",
            "valid integer",
        ),
        (
            "stubs:\n  - respond: {content: hi}\n    expect: often\n",
            3,
            "stubs[0].expect",
            "; or Input should be a valid integer",
        ),
        (
            "stubs:\n  - respond:\n      tool_calls:\n        - {name: f, arguments: 5}\n",
            4,
            "stubs[0].respond.tool_calls[0].arguments",
            "valid dictionary; or Input should be a valid string",
        ),
        (
            "stubs:\n  - respond:\n      error:\n        status: 429\n"
            "        ratelimit: {limit-requests: 60}\n",
            5,
            "stubs[0].respond.error.ratelimit.limit-requests",
            "valid string",
        ),
        (
            "stubs:\n  - respond: {content: a}\n  - match:\n      last_user:\n"
            "        contains: x\n        regex: '(unclosed'\n    respond: {content: b}\n",
            6,
            "stubs[1].match.last_user.regex",
            "invalid regex '(unclosed'",
        ),
        (
            "stubs:\n  - match:\n      headers:\n        x-case: {regex: '['}\n"
            "    respond: {content: b}\n",
            4,
            "stubs[0].match.headers.x-case.regex",
            "invalid regex '['",
        ),
        (
            "stubs:\n  - respond: {content: a}\n    quirks:\n"
            "      - no-done\n      - no-such-quirk\n",
            5,
            "stubs[0].quirks[1]",
            "unknown quirk 'no-such-quirk'; known: auth-403, chunk-id-changes,",
        ),
        (
            "name: w\nquirks: [nodone]\n",
            2,
            "quirks[0]",
            "unknown quirk 'nodone'",
        ),
        (
            "stubs:\n  - match: {model: m}\n    respond: {content: a}\n    sequence:\n"
            "      - {content: b}\n",
            2,
            "stubs[0]",
            "give exactly one of respond, sequence",
        ),
        (
            "stubs:\n  - respond: {content: a}\n    fault:\n      drop_after_chunks: 1\n"
            "      stall_after_chunks: 2\n",
            3,
            "stubs[0].fault",
            "give at most one of drop_after_chunks, stall_after_chunks",
        ),
        (
            "stubs:\n  - respond:\n      tool_calls:\n        - name: f\n"
            "          arguments: {a: 1}\n          chunks: ['{\"a\"', ': 2}']\n",
            4,
            "stubs[0].respond.tool_calls[0]",
            "chunks, joined, must be the arguments",
        ),
        (
            "stubs:\n  - respond:\n      content: '{{ last_user '\n",
            3,
            "stubs[0].respond.content",
            "invalid template",
        ),
        (
            "name: w\nstubs: [\n  - respond: {content: a}\n",
            3,
            "",
            "not valid YAML/JSON",
        ),
        (
            "name: w\nstubs:\n  - respond: {content: a}\n   bad-indent: 1\n",
            4,
            "",
            "not valid YAML/JSON",
        ),
        ("- respond: {content: a}\n", 1, "", "a scenario must be a mapping with 'stubs'"),
        ("just words\n", 1, "", "a scenario must be a mapping with 'stubs'"),
    ],
    ids=[
        "unknown-field",
        "unknown-top-level-field",
        "wrong-type",
        "wrong-type-union",
        "wrong-type-arguments",
        "wrong-type-key-with-dash",
        "bad-regex",
        "bad-regex-in-header",
        "invalid-quirk-in-stub",
        "invalid-quirk-in-scenario",
        "respond-and-sequence",
        "fault-with-two-breaks",
        "tool-call-chunks-not-the-arguments",
        "bad-template",
        "yaml-syntax",
        "yaml-indentation",
        "document-is-a-list",
        "document-is-a-string",
    ],
)
def test_loader_error_names_file_line_and_field(
    tmp_path: Path, text: str, line: int, field: str, reason: str
) -> None:
    path = write(tmp_path, text)

    error = load_error(path)

    assert (error.path, error.line, error.field) == (str(path), line, field)
    assert reason in error.message
    where = f"{path}:{line}: {field}: " if field else f"{path}:{line}: "
    assert str(error) == where + error.message


@pytest.mark.parametrize("make", ["missing", "directory"])
def test_loader_error_unreadable_file_names_it(tmp_path: Path, make: str) -> None:
    path = tmp_path / "weather.yaml"
    if make == "directory":
        path.mkdir()
    # a missing path is no file and no built-in; read the directory through the file loader
    errors = validate_files([path])

    [error] = errors
    assert (error.path, error.line, error.field) == (str(path), None, "")
    assert error.message.startswith("cannot read: ")
    assert str(error) == f"{path}: {error.message}"


def test_loader_missing_file_names_the_built_ins(tmp_path: Path) -> None:
    error = load_error(tmp_path / "nowhere.yaml")

    assert error.path == str(tmp_path / "nowhere.yaml")
    assert error.line is None
    assert "no such file, and no built-in scenario of that name" in error.message
    assert "agent-loop" in error.message


def test_loader_reports_every_error_of_a_file_in_line_order(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "name: w\n"
        "stubs:\n"
        "  - respond: {content: a}\n"
        "    quirks: [nope]\n"
        "  - match: {last_user: {regex: '('}}\n"
        "    respond: {content: b}\n"
        "  - respond: {content: c}\n"
        "    extra: 1\n"
        "fallback: never\n",
    )

    errors = validate_files([path])

    assert [(e.line, e.field) for e in errors] == [
        (4, "stubs[0].quirks[0]"),
        (5, "stubs[1].match.last_user.regex"),
        (8, "stubs[2].extra"),
        (9, "fallback"),
    ]


def test_loader_readme_error_example_has_the_documented_form(tmp_path: Path) -> None:
    """README: ``weather.yaml:7: stubs[1].match.last_user.regex: invalid regex ...``."""
    path = write(
        tmp_path,
        "name: weather-assistant\n"
        "stubs:\n"
        "  - match: {tool_result: {name: get_weather}}\n"
        "    respond: {content: done}\n"
        "  - match:\n"
        "      endpoint: chat.completions\n"
        "      last_user: {regex: '(weather'}\n"
        "    respond: {content: x}\n",
    )

    error = load_error(path)

    assert str(error).startswith(f"{path}:7: stubs[1].match.last_user.regex: invalid regex ")


def test_loader_json_file_with_tab_indentation_loads(tmp_path: Path) -> None:
    document = {"name": "tabs", "stubs": [{"match": {"model": "m"}, "respond": {"content": "x"}}]}
    path = write(tmp_path, json.dumps(document, indent="\t"), "tabs.json")

    scenario = load_scenario(path)

    assert scenario.name == "tabs"
    assert scenario.stubs[0].respond is not None
    assert scenario.stubs[0].respond.content == "x"


def test_loader_json_file_error_names_its_line(tmp_path: Path) -> None:
    document = {"name": "j", "stubs": [{"respond": {"content": "x", "colour": "red"}}]}
    path = write(tmp_path, json.dumps(document, indent=2), "j.json")

    error = load_error(path)

    assert (error.line, error.field) == (7, "stubs[0].respond.colour")


def test_loader_yaml_python_tag_is_an_error_not_a_crash(tmp_path: Path) -> None:
    path = write(tmp_path, "name: !!python/object/apply:os.getcwd []\n")

    error = load_error(path)

    assert error.line == 1
    assert "not valid YAML/JSON" in error.message


def test_loader_empty_file_is_an_empty_scenario(tmp_path: Path) -> None:
    scenario = load_scenario(write(tmp_path, ""))

    assert scenario.stubs == []
    assert scenario.fallback == "echo"


def test_loader_plain_string_text_condition_means_contains(tmp_path: Path) -> None:
    path = write(tmp_path, "stubs:\n  - match: {last_user: weather}\n    respond: {content: x}\n")

    scenario = load_scenario(path)

    last_user = scenario.stubs[0].match.last_user
    assert last_user is not None
    assert (last_user.contains, last_user.regex, last_user.equals) == ("weather", None, None)


def test_loader_scenario_in_python_rejects_unknown_quirk() -> None:
    with pytest.raises(ValueError, match="unknown quirk 'nope'"):
        Scenario.model_validate({"stubs": [{"respond": {"content": "x"}, "quirks": ["nope"]}]})


@pytest.mark.parametrize("name", builtin_names())
def test_loader_builtin_scenario_loads(name: str) -> None:
    scenario = load_scenario(name)

    assert scenario.name == name
    assert scenario.description


def test_loader_readme_has_scenario_snippets() -> None:
    assert len(readme_scenario_snippets()) >= 1


@pytest.mark.parametrize("index", range(len(readme_scenario_snippets())))
def test_loader_readme_scenario_snippet_loads(index: int) -> None:
    snippet = readme_scenario_snippets()[index]

    scenario, errors = scenario_errors(snippet, f"README.md snippet {index}")

    assert errors == []
    assert scenario is not None
    assert scenario.stubs
