"""``mockgpt validate``, ``schema``, ``scenarios``, ``quirks`` and ``serve`` with a bad file."""

from __future__ import annotations

import importlib
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from mockgpt.cli import main
from mockgpt.quirks import QUIRKS
from mockgpt.scenarios import BUILTIN_DIR, builtin_names

try:
    jsonschema: Any = importlib.import_module("jsonschema")
except ImportError:  # not a dependency: the small validator below checks what the schema uses
    jsonschema = None

BAD = "name: bad\nstubs:\n  - respond: {content: a}\n    bogus: 1\n  - match: {n: many}\n  - {}\n"
WORSE = "stubs:\n  - quirks: [nope]\n    respond: {content: a}\nfallback: never\n"
GOOD = "name: good\nstubs:\n  - match: {model: m}\n    respond: {content: hi}\n"


def run(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_cli_validate_prints_every_error_of_every_file(tmp_path: Path) -> None:
    bad = write(tmp_path, "bad.yaml", BAD)
    worse = write(tmp_path, "worse.yaml", WORSE)
    good = write(tmp_path, "good.yaml", GOOD)
    missing = str(tmp_path / "missing.yaml")

    result = run("validate", bad, good, worse, missing)

    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"{bad}:4: stubs[0].bogus: unknown field (see `mockgpt schema` for the format)",
        f"{bad}:5: stubs[1].match.n: Input should be a valid integer, unable to parse string "
        "as an integer",
        f"{bad}:6: stubs[2]: give exactly one of respond, sequence",
        f"{worse}:2: stubs[0].quirks[0]: unknown quirk 'nope'; known: " + ", ".join(sorted(QUIRKS)),
        f"{worse}:4: fallback: Input should be 'echo', 'lorem', 'error' or 'proxy'",
        f"{missing}: cannot read: No such file or directory",
    ]
    assert result.stdout == ""


def test_cli_validate_valid_files_exit_0(tmp_path: Path) -> None:
    good = write(tmp_path, "good.yaml", GOOD)

    result = run("validate", good, str(BUILTIN_DIR / "agent-loop.yaml"))

    assert result.exit_code == 0
    assert result.stdout == "2 scenario file(s) valid\n"
    assert result.stderr == ""


def test_cli_validate_without_files_is_a_usage_error() -> None:
    result = run("validate")

    assert result.exit_code == 2


def test_cli_serve_refuses_an_invalid_scenario(tmp_path: Path) -> None:
    bad = write(tmp_path, "bad.yaml", BAD)

    result = run("serve", "--scenario", bad, "--port", "0")

    assert result.exit_code == 2
    assert f"Error: invalid scenario: {bad}:4: stubs[0].bogus: unknown field" in result.stderr
    assert "serving" not in result.stdout


def test_cli_serve_refuses_a_scenario_with_a_bad_regex(tmp_path: Path) -> None:
    bad = write(tmp_path, "bad.yaml", "stubs:\n  - match: {last_user: {regex: '('}}\n")

    result = run("serve", "--scenario", "default", "--scenario", bad, "--port", "0")

    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1].startswith(
        f"Error: invalid scenario: {bad}:2: stubs[0].match.last_user.regex: invalid regex '('"
    )


def test_cli_serve_refuses_an_unknown_scenario_name() -> None:
    result = run("serve", "--scenario", "no-such-scenario", "--port", "0")

    assert result.exit_code == 2
    assert "no-such-scenario: no such file, and no built-in scenario" in result.stderr


def test_cli_scenarios_lists_every_builtin_with_its_description() -> None:
    result = run("scenarios")

    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert [line.split()[0] for line in lines] == builtin_names()
    assert not any("(invalid" in line for line in lines)
    assert all(len(line.split()) > 1 for line in lines)


def test_cli_quirks_lists_every_quirk() -> None:
    result = run("quirks")

    assert result.exit_code == 0
    listed = {line.split()[0]: line.split(None, 1)[1] for line in result.stdout.splitlines()}
    assert listed == QUIRKS


# -- mockgpt schema ----------------------------------------------------------------------------


def schema_errors(value: Any, schema: Any, root: Any, at: str = "$") -> list[str]:
    """Errors of ``value`` against ``schema``: the JSON Schema keywords ``mockgpt schema`` uses."""
    if schema is True or schema == {}:
        return []
    if "$ref" in schema:
        target = root
        for part in schema["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        return schema_errors(value, target, root, at)
    if "anyOf" in schema:
        options = [schema_errors(value, option, root, at) for option in schema["anyOf"]]
        return [] if any(not o for o in options) else [f"{at}: no anyOf matched: {options}"]
    errors: list[str] = []
    kinds: dict[str, type | tuple[type, ...]] = {
        "object": dict,
        "array": list,
        "string": str,
        "boolean": bool,
        "null": type(None),
        "integer": int,
        "number": (int, float),
    }
    kind = schema.get("type")
    if kind is not None:
        wanted = kinds[kind]
        bad_bool = isinstance(value, bool) and kind in ("integer", "number")
        if not isinstance(value, wanted) or bad_bool:
            return [f"{at}: expected {kind}, got {value!r}"]
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{at}: {value!r} not in {schema['enum']}")
    if "const" in schema and value != schema["const"]:
        errors.append(f"{at}: {value!r} is not {schema['const']!r}")
    if "minimum" in schema and value < schema["minimum"]:
        errors.append(f"{at}: below minimum")
    if "maximum" in schema and value > schema["maximum"]:
        errors.append(f"{at}: above maximum")
    if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
        errors.append(f"{at}: not above exclusiveMinimum")
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            errors.append(f"{at}: fewer than minItems")
        for index, item in enumerate(value):
            errors += schema_errors(item, schema.get("items", {}), root, f"{at}[{index}]")
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        errors += [f"{at}: missing {k}" for k in schema.get("required", ()) if k not in value]
        for key, item in value.items():
            sub = properties.get(key, schema.get("additionalProperties", {}))
            if sub is False:
                errors.append(f"{at}.{key}: not allowed")
            else:
                errors += schema_errors(item, sub, root, f"{at}.{key}")
    return errors


def validate(document: Any, schema: dict[str, Any]) -> list[str]:
    if jsonschema is not None:
        validator = jsonschema.Draft202012Validator(schema)
        return [error.message for error in validator.iter_errors(document)]
    return schema_errors(document, schema, schema)


@pytest.fixture(scope="module")
def scenario_schema() -> dict[str, Any]:
    result = run("schema")
    assert result.exit_code == 0
    schema: dict[str, Any] = json.loads(result.stdout)
    return schema


def test_cli_schema_is_a_json_schema_of_the_format(scenario_schema: dict[str, Any]) -> None:
    assert scenario_schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert scenario_schema["type"] == "object"
    assert scenario_schema["additionalProperties"] is False
    assert set(scenario_schema["properties"]) == {
        "name",
        "description",
        "defaults",
        "quirks",
        "chaos",
        "stubs",
        "fallback",
        "seed",
    }
    respond = scenario_schema["$defs"]["Respond"]["properties"]
    assert "json" in respond
    assert "json_" not in respond
    assert scenario_schema["properties"]["quirks"]["items"]["enum"] == sorted(QUIRKS)


@pytest.mark.parametrize("name", builtin_names())
def test_cli_schema_validates_builtin_scenario(scenario_schema: dict[str, Any], name: str) -> None:
    document = yaml.safe_load((BUILTIN_DIR / f"{name}.yaml").read_text(encoding="utf-8"))

    assert validate(document, scenario_schema) == []


@pytest.mark.parametrize(
    "document",
    [
        {"stubs": [{"respond": {"content": "x"}, "bogus": 1}]},
        {"quirks": ["no-such-quirk"]},
        {"stubs": [{"match": {"n": "many"}, "respond": {"content": "x"}}]},
        {"fallback": "never"},
    ],
    ids=["unknown-field", "unknown-quirk", "wrong-type", "bad-enum"],
)
def test_cli_schema_rejects_an_invalid_scenario(
    scenario_schema: dict[str, Any], document: dict[str, Any]
) -> None:
    assert validate(document, scenario_schema) != []


def test_cli_schema_accepts_a_plain_string_text_condition(
    scenario_schema: dict[str, Any],
) -> None:
    document = {"stubs": [{"match": {"last_user": "weather"}, "respond": {"content": "x"}}]}

    assert validate(document, scenario_schema) == []
