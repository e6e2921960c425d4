"""``POST /v1/responses/input_tokens``: the input tokens ``responses.create`` would report."""

from __future__ import annotations

from typing import Any

import httpx
import openai
import pytest

from tests.responses.conftest import MODEL

TOOL = {
    "type": "function",
    "name": "get_weather",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
}
BODIES: list[dict[str, Any]] = [
    {"input": "hello there"},
    {"input": "hello there", "instructions": "Be brief."},
    {"input": [{"role": "user", "content": [{"type": "input_text", "text": "hi"}]}]},
    {"input": "weather?", "tools": [TOOL]},
]


@pytest.mark.parametrize("body", BODIES, ids=["string", "instructions", "items", "tools"])
def test_input_tokens_equal_the_usage_of_the_same_request(
    strict_client: openai.OpenAI, body: dict[str, Any]
) -> None:
    counted = strict_client.responses.input_tokens.count(model=MODEL, **body)
    created = strict_client.responses.create(model=MODEL, **body)

    assert counted.object == "response.input_tokens"
    assert created.usage is not None
    assert counted.input_tokens == created.usage.input_tokens > 0


def test_input_tokens_count_earlier_turns_of_previous_response_id(
    strict_client: openai.OpenAI,
) -> None:
    first = strict_client.responses.create(model=MODEL, input="my name is Ada")
    alone = strict_client.responses.input_tokens.count(model=MODEL, input="and yours?")
    chained = strict_client.responses.input_tokens.count(
        model=MODEL, input="and yours?", previous_response_id=first.id
    )
    created = strict_client.responses.create(
        model=MODEL, input="and yours?", previous_response_id=first.id
    )

    assert created.usage is not None
    assert chained.input_tokens == created.usage.input_tokens > alone.input_tokens


def test_input_tokens_without_a_model_are_counted(http: httpx.Client) -> None:
    answer = http.post("/v1/responses/input_tokens", json={"input": "hello there"})

    assert answer.status_code == 200
    assert answer.json()["object"] == "response.input_tokens"


@pytest.mark.parametrize(
    ("body", "status", "param"),
    [
        ({"input": 5}, 400, "input"),
        ({"input": "hi", "previous_response_id": "resp_nope"}, 404, "previous_response_id"),
    ],
    ids=["bad-input", "unknown-previous"],
)
def test_input_tokens_bad_request_gets_the_error_envelope(
    http: httpx.Client, body: dict[str, Any], status: int, param: str
) -> None:
    answer = http.post("/v1/responses/input_tokens", json={"model": MODEL, **body})

    assert answer.status_code == status
    assert answer.json()["error"]["param"] == param
