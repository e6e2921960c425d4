"""The echo fallback with structured output: a message that already is JSON of the requested
format is the answer (dumped again); any other message gets a generated value, as before."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import ollama
import openai
import pytest
from openai import BadRequestError
from pydantic import BaseModel

from mockgpt.server import MockServer
from tests.support import Api

MODEL = "gpt-4o-mini"
CITY = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "days": {"type": "integer", "minimum": 1}},
    "required": ["city"],
    "additionalProperties": False,
}
JSON_SCHEMA = {"type": "json_schema", "json_schema": {"name": "trip", "schema": CITY}}
FITS = '{ "city":"Zürich",\n  "days": 3 }'
"""A message valid for ``CITY``, spaced as a person types it."""
FITS_DUMPED = '{"city": "Zürich", "days": 3}'


def _ask(api: Api, text: str, **kwargs: Any) -> str | None:
    message = api.chat(model=MODEL, messages=[{"role": "user", "content": text}], **kwargs)
    return message.choices[0].message.content


def test_echo_json_object_answers_a_json_object_message_itself(api: Api) -> None:
    fmt: Any = {"type": "json_object"}

    assert _ask(api, FITS, response_format=fmt) == FITS_DUMPED
    assert _ask(api, "[1, 2]", response_format=fmt) == '{"text": "[1, 2]"}'
    assert _ask(api, "blue giraffe", response_format=fmt) == '{"text": "blue giraffe"}'
    assert _ask(api, '{"x": NaN}', response_format=fmt) == '{"text": "{\\"x\\": NaN}"}'


def test_echo_json_schema_answers_a_fitting_message_itself(api: Api) -> None:
    fmt: Any = JSON_SCHEMA
    generated = _ask(api, "blue giraffe", response_format=fmt)
    assert generated is not None

    assert _ask(api, FITS, response_format=fmt) == FITS_DUMPED
    for misfit in [
        '{"days": 3}',
        '{"city": 1}',
        '{"city": "Oslo", "days": 0}',
        '{"city": "O", "x": 1}',
    ]:
        assert _ask(api, misfit, response_format=fmt) == generated
    assert json.loads(generated).keys() <= {"city", "days"}


def test_echo_json_schema_malformed_schema_is_rejected_even_for_json(api: Api) -> None:
    """A message that is JSON does not spare a malformed schema its 400."""
    fmt: Any = {"type": "json_schema", "json_schema": {"name": "x", "schema": {"minLength": -1}}}
    ok: Any = {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "string"}}}

    with pytest.raises(BadRequestError) as caught:
        _ask(api, '"a text"', response_format=fmt)

    assert caught.value.status_code == 400
    assert caught.value.param == "response_format.json_schema.schema"
    assert _ask(api, '"a text"', response_format=ok) == '"a text"'


def test_echo_json_schema_stream_joins_to_the_echoed_value(api: Api) -> None:
    chunks = api.chat_chunks(
        model=MODEL, messages=[{"role": "user", "content": FITS}], response_format=JSON_SCHEMA
    )

    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == FITS_DUMPED
    assert len(chunks) > 3  # one token per delta, as any echoed answer


def test_echo_json_schema_parse_gets_the_message_back(client: openai.OpenAI) -> None:
    """``parse()`` with a pydantic model: the model's fields come back as the user wrote them."""

    class Trip(BaseModel):
        city: str
        days: int

    parsed = client.chat.completions.parse(
        model=MODEL, messages=[{"role": "user", "content": FITS}], response_format=Trip
    )

    assert parsed.choices[0].message.parsed == Trip(city="Zürich", days=3)


def _arguments(api: Api, text: str, tool_choice: Any) -> list[str]:
    tools: Any = [
        {"type": "function", "function": {"name": "plan_trip", "parameters": CITY}},
        {"type": "function", "function": {"name": "other", "parameters": {"type": "object"}}},
    ]
    completion = api.chat(
        model=MODEL,
        messages=[{"role": "user", "content": text}],
        tools=tools,
        tool_choice=tool_choice,
    )
    calls = completion.choices[0].message.tool_calls or []
    return [call.function.arguments for call in calls if call.type == "function"]


def test_echo_named_tool_choice_echoes_fitting_arguments(api: Api) -> None:
    named = {"type": "function", "function": {"name": "plan_trip"}}
    [generated] = _arguments(api, "blue giraffe", named)

    assert _arguments(api, FITS, named) == ['{"city": "Z\\u00fcrich", "days": 3}']
    assert _arguments(api, '{"city": 5}', named) == [generated]
    # "required" forces no particular function: its calls stay generated
    assert _arguments(api, FITS, "required") == _arguments(api, "blue giraffe", "required")


def test_echo_responses_text_format_and_forced_tool(client: openai.OpenAI) -> None:
    text: Any = {"format": {"type": "json_schema", "name": "trip", "schema": CITY}}
    answer = client.responses.create(model=MODEL, input=FITS, text=text)
    other = client.responses.create(model=MODEL, input="blue giraffe", text=text)
    tools: Any = [{"type": "function", "name": "plan_trip", "parameters": CITY}]
    call = client.responses.create(
        model=MODEL,
        input=FITS,
        tools=tools,
        tool_choice={"type": "function", "name": "plan_trip"},
    )

    assert answer.output_text == FITS_DUMPED
    assert other.output_text != FITS_DUMPED
    assert [item.arguments for item in call.output if item.type == "function_call"] == [
        '{"city": "Z\\u00fcrich", "days": 3}'
    ]


@pytest.fixture(scope="module")
def ollama_client(server: MockServer) -> Iterator[ollama.Client]:
    with ollama.Client(host=server.url, timeout=10) as client:
        yield client


@pytest.mark.parametrize("fmt", ["json", CITY], ids=["json", "schema"])
def test_echo_ollama_format(ollama_client: ollama.Client, fmt: Any) -> None:
    def ask(text: str) -> str | None:
        response = ollama_client.chat(
            model="llama3", messages=[{"role": "user", "content": text}], format=fmt
        )
        return response.message.content

    assert ask(FITS) == FITS_DUMPED
    assert ask("blue giraffe") != "blue giraffe"
