"""``GET /_mockgpt/openapi.json``: a valid OpenAPI 3.1 description of every admin route."""

from __future__ import annotations

import re
from typing import Any

import httpx
import jsonschema
import pytest
from openapi_spec_validator import validate

from mockgpt.routes.table import routes
from tests.admin.conftest import TEST_HEADER, Client, say, user

PAGE = re.compile(r"/_mockgpt/(static/.*)?$")
"""The inspector page and its files: HTML, not the admin API."""


@pytest.fixture
def document(admin: httpx.Client) -> dict[str, Any]:
    answer = admin.get("/openapi.json")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    body: dict[str, Any] = answer.json()
    return body


def test_openapi_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    validate(document)

    assert document["openapi"] == "3.1.0"


def test_openapi_lists_every_admin_route_and_method(document: dict[str, Any]) -> None:
    served = {
        (method.lower(), re.sub(r":path\}", "}", path))
        for method, path, _ in routes()
        if path.startswith("/_mockgpt/") and not PAGE.fullmatch(path)
    }
    described = {
        (method, path)
        for path, item in document["paths"].items()
        for method in item
        if method != "parameters"
    }

    assert described == served


def test_openapi_names_the_test_id_header_on_every_path(document: dict[str, Any]) -> None:
    header = document["components"]["parameters"]["TestId"]

    assert (header["in"], header["name"]) == ("header", TEST_HEADER)
    for item in document["paths"].values():
        assert {"$ref": "#/components/parameters/TestId"} in item["parameters"]


def _schema(document: dict[str, Any], name: str) -> dict[str, Any]:
    """``components/schemas/<name>`` with its references resolvable (JSON Schema 2020-12)."""
    return {
        **document["components"]["schemas"][name],
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "components": document["components"],
    }


def test_openapi_stubs_reference_the_scenario_schema(document: dict[str, Any]) -> None:
    stub = _schema(document, "Stub")
    good = {"id": "s", "match": {"last_user": "hi"}, "respond": {"content": "hello"}}

    jsonschema.validate(good, stub)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**good, "matsh": {}}, stub)
    body = document["paths"]["/_mockgpt/stubs"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/AddStubs"
    }


def test_openapi_describes_what_the_routes_answer(
    admin: httpx.Client, client: Client, document: dict[str, Any]
) -> None:
    """The stub list and the journal, as served, are valid against their schemas."""
    admin.post("/stubs", json={"respond": {"content": "x"}}).raise_for_status()
    say(client(), "hi")
    list(client().chat.completions.create(model="m", messages=user("hi"), stream=True))

    jsonschema.validate(admin.get("/stubs").json(), _schema(document, "StubList"))
    entries = admin.get("/journal").json()
    assert len(entries["data"]) == 2
    jsonschema.validate(entries, _schema(document, "Journal"))
