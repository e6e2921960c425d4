"""A broken stub or scenario gets a 400 with the text ``mockgpt validate`` prints for it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.admin.conftest import TEST_HEADER

BROKEN: dict[str, dict[str, Any]] = {
    "regex": {"match": {"last_user": {"regex": "("}}, "respond": {"content": "x"}},
    "no-answer": {"match": {"model": "m"}},
    "unknown-field": {"matsh": {}, "respond": {"content": "x"}},
    "wrong-type": {"match": {"n": "two"}, "respond": {"content": "x"}},
    "template": {"respond": {"content": "{{ last_user"}},
    "quirk": {"respond": {"content": "x"}, "quirks": ["no-such-quirk"]},
}


@pytest.fixture(scope="module")
def validate_says(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """What ``mockgpt validate`` prints for each broken stub, in a one-stub scenario file:
    the text after ``<file>:<line>: ``."""
    folder = tmp_path_factory.mktemp("broken")
    files = []
    for name, stub in BROKEN.items():
        path = folder / f"{name}.yaml"
        path.write_text(yaml.safe_dump({"stubs": [stub]}))
        files.append(str(path))
    done = subprocess.run(
        [sys.executable, "-m", "mockgpt", "validate", *files],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    said: dict[str, str] = {}
    for line in done.stderr.splitlines():
        where, _, text = line.partition(".yaml:")
        said.setdefault(Path(where).name, text.partition(": ")[2])
    assert set(said) == set(BROKEN), done.stderr
    return said


@pytest.mark.parametrize("name", list(BROKEN), ids=list(BROKEN))
def test_stub_error_is_the_validate_text_naming_the_field(
    admin: httpx.Client, validate_says: dict[str, str], name: str
) -> None:
    field = validate_says[name].partition(": ")[0]

    wrapped = admin.post("/stubs", json={"stubs": [BROKEN[name]]})
    alone = admin.post("/stubs", json=BROKEN[name])

    assert wrapped.status_code == alone.status_code == 400
    assert wrapped.json()["error"]["message"] == f"request body: {validate_says[name]}"
    assert wrapped.json()["error"]["param"] == field
    single_field = field.removeprefix("stubs[0]").removeprefix(".")
    assert alone.json()["error"]["param"] == (single_field or None)
    assert alone.json()["error"]["message"].endswith(validate_says[name].partition(": ")[2])


def test_stub_error_in_a_list_names_its_index(admin: httpx.Client) -> None:
    answer = admin.post("/stubs", json=[{"respond": {"content": "ok"}}, BROKEN["regex"]])

    assert answer.status_code == 400
    assert answer.json()["error"]["param"] == "[1].match.last_user.regex"


def test_stub_error_on_replace_names_the_field(admin: httpx.Client) -> None:
    answer = admin.put("/stubs/greet", json=BROKEN["wrong-type"])

    assert answer.status_code == 400
    assert answer.json()["error"]["param"] == "match.n"


def test_scenario_error_names_the_line_as_validate_does(
    admin: httpx.Client, tmp_path: Path
) -> None:
    text = "name: broken\nstubs:\n  - respond: {content: ok}\n  - match:\n      n: two\n"
    path = tmp_path / "broken.yaml"
    path.write_text(text)
    done = subprocess.run(
        [sys.executable, "-m", "mockgpt", "validate", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    answer = admin.post("/scenario", content=text, headers={"content-type": "text/yaml"})

    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["message"] == done.stderr.splitlines()[0].replace(str(path), "request body")
    assert error["message"].startswith("request body:5: stubs[1].match.n: ")
    assert error["param"] == "stubs[1].match.n"


def test_scenario_not_yaml_is_a_400(admin: httpx.Client) -> None:
    answer = admin.post(
        "/scenario", content=b"stubs: [", headers={"content-type": "application/yaml"}
    )

    assert answer.status_code == 400
    assert "not valid YAML/JSON" in answer.json()["error"]["message"]


def test_scenario_with_a_taken_id_is_a_409_under_the_same_test_id(admin: httpx.Client) -> None:
    scenario = json.dumps({"stubs": [{"id": "mine", "respond": {"content": "x"}}]})
    headers = {TEST_HEADER: "t1", "content-type": "application/json"}

    first = admin.post("/scenario", content=scenario, headers=headers)
    again = admin.post("/scenario", content=scenario, headers=headers)
    elsewhere = admin.post("/scenario", content=scenario, headers={**headers, TEST_HEADER: "t2"})

    assert (first.status_code, again.status_code, elsewhere.status_code) == (201, 409, 201)
    assert again.json()["error"]["code"] == "stub_conflict"
