"""Structured output from a request's schema is bounded: a schema over mockgpt's caps or with
a malformed keyword is a 400 naming the field that holds it, never a 500, a stall or NaN."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mockgpt.structured import MAX_DEPTH, MAX_NODES, MAX_STRING_CHARS
from tests.support import USER, InProcess, assert_envelope

CHAT = "/v1/chat/completions"

BAD_SCHEMAS = [
    ({"type": "array", "minItems": 20_000_000, "items": {"type": "string"}}, str(MAX_NODES)),
    ({"type": "array", "minItems": 20, "maxItems": 20, "items": {"$ref": "#/"}}, str(MAX_DEPTH)),
    ({"type": "string", "minLength": 50_000_000}, str(MAX_STRING_CHARS)),
    ({"type": "array", "minItems": "z"}, "minItems"),
    ({"type": "integer", "exclusiveMinimum": "q"}, "exclusiveMinimum"),
    ({"type": "number", "minimum": float("nan")}, "minimum"),
    ({"type": "number", "minimum": 5, "maximum": 1}, "minimum"),
    ({"type": "string", "minLength": 5, "maxLength": 1}, "minLength"),
    ({"type": "object", "properties": {"a": {"type": "strng"}}}, "/properties/a"),
    ({"$ref": "#"}, str(MAX_DEPTH)),
]
BAD_IDS = [
    "min-items-20M",
    "self-ref-items-20",
    "min-length-50M",
    "min-items-string",
    "exclusive-minimum-string",
    "minimum-nan",
    "minimum-over-maximum",
    "min-length-over-max-length",
    "unknown-type",
    "ref-loop",
]


def _json_schema_format(schema: dict[str, Any]) -> dict[str, Any]:
    return {"type": "json_schema", "json_schema": {"name": "answer", "schema": schema}}


@pytest.mark.timeout(10)
@pytest.mark.parametrize(("schema", "says"), BAD_SCHEMAS, ids=BAD_IDS)
def test_structured_chat_response_format_bad_schema_is_400(
    asgi: InProcess, schema: dict[str, Any], says: str
) -> None:
    body = {"model": "m", "messages": USER, "response_format": _json_schema_format(schema)}
    response = asgi.post(CHAT, body)

    error = assert_envelope(response, 400, param="response_format.json_schema.schema")
    assert error["type"] == "invalid_request_error"
    assert says in error["message"]


@pytest.mark.timeout(10)
@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
@pytest.mark.parametrize(("schema", "says"), BAD_SCHEMAS[:3], ids=BAD_IDS[:3])
def test_structured_responses_text_format_bad_schema_is_400(
    asgi: InProcess, schema: dict[str, Any], says: str, stream: bool
) -> None:
    fmt = {"type": "json_schema", "name": "answer", "schema": schema}
    body = {"model": "m", "input": "hi", "text": {"format": fmt}, "stream": stream}
    response = asgi.post("/v1/responses", body)

    error = assert_envelope(response, 400, param="text.format.schema")
    assert says in error["message"]


@pytest.mark.timeout(10)
@pytest.mark.parametrize(("schema", "says"), BAD_SCHEMAS[:5], ids=BAD_IDS[:5])
def test_structured_forced_tool_bad_parameters_is_400_naming_the_tool(
    asgi: InProcess, schema: dict[str, Any], says: str
) -> None:
    tools = [
        {"type": "function", "function": {"name": "ok", "parameters": {"type": "object"}}},
        {"type": "function", "function": {"name": "bad", "parameters": schema}},
    ]
    choice = {"type": "function", "function": {"name": "bad"}}
    body = {"model": "m", "messages": USER, "tools": tools, "tool_choice": choice}
    response = asgi.post(CHAT, body)

    error = assert_envelope(response, 400, param="tools[1].function.parameters")
    assert says in error["message"]


@pytest.mark.timeout(10)
def test_structured_responses_forced_tool_names_its_flat_parameters(asgi: InProcess) -> None:
    tools = [
        {"type": "web_search"},
        {"type": "function", "name": "bad", "parameters": {"type": "array", "minItems": "z"}},
    ]
    body = {"model": "m", "input": "hi", "tools": tools, "tool_choice": "required"}
    response = asgi.post("/v1/responses", body)

    assert_envelope(response, 400, param="tools[1].parameters")


@pytest.mark.timeout(10)
@pytest.mark.parametrize(("schema", "says"), BAD_SCHEMAS[:5], ids=BAD_IDS[:5])
def test_structured_ollama_format_bad_schema_is_400(
    asgi: InProcess, schema: dict[str, Any], says: str
) -> None:
    body = {"model": "m", "messages": USER, "format": schema, "stream": False}
    response = asgi.post("/api/chat", body)

    assert response.status_code == 400, response.text
    message = response.json()["error"]
    assert message.startswith("Invalid schema for format:")
    assert says in message


@pytest.mark.parametrize(
    "raw_bound",
    [b'"minimum": 1e999', b'"maximum": -1e999', b'"exclusiveMaximum": NaN'],
    ids=["minimum-inf", "maximum-minus-inf", "exclusive-maximum-nan"],
)
def test_structured_non_finite_bound_is_400_not_nan_content(
    asgi: InProcess, raw_bound: bytes
) -> None:
    schema = b'{"type": "number", ' + raw_bound + b"}"
    content = (
        b'{"model": "m", "messages": [{"role": "user", "content": "hi"}], '
        b'"response_format": {"type": "json_schema", "json_schema": '
        b'{"name": "n", "schema": ' + schema + b"}}}"
    )
    response = asgi.post(CHAT, content=content)

    error = assert_envelope(response, 400, param="response_format.json_schema.schema")
    assert "finite number" in error["message"]


def test_structured_huge_finite_bounds_give_finite_json(asgi: InProcess) -> None:
    schema = {"type": "number", "minimum": -1.7e308, "maximum": 1.7e308}
    body = {"model": "m", "messages": USER, "response_format": _json_schema_format(schema)}
    response = asgi.post(CHAT, body)

    assert response.status_code == 200, response.text
    content = response.json()["choices"][0]["message"]["content"]
    value = json.loads(content, parse_constant=lambda name: pytest.fail(f"{name} in {content}"))
    assert -1.7e308 <= value <= 1.7e308


@pytest.mark.timeout(10)
def test_structured_optional_self_reference_is_a_bounded_answer(asgi: InProcess) -> None:
    """An optional recursion (and wide arrays of it) answers a finite value of the schema."""
    schema = {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "children": {"type": "array", "maxItems": 20, "items": {"$ref": "#"}},
        },
        "required": ["name"],
    }
    body = {"model": "m", "messages": USER, "response_format": _json_schema_format(schema)}
    response = asgi.post(CHAT, body)

    assert response.status_code == 200, response.text
    value = json.loads(response.json()["choices"][0]["message"]["content"])
    assert isinstance(value["name"], str)
    assert isinstance(value["children"], list)
