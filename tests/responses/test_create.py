"""``POST /v1/responses``, not streamed: the ``Response`` object a user reads (R1-R6)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import openai
import pytest
from pydantic import BaseModel

from tests.responses.clients import ResponsesApi
from tests.responses.conftest import MODEL
from tests.responses.wire import assert_response, output_text


@pytest.mark.parametrize(
    "given",
    [
        "blue giraffe",
        [{"role": "user", "content": "blue giraffe"}],
        [{"type": "message", "role": "user", "content": "blue giraffe"}],
        [
            {
                "type": "message",
                "role": "user",
                "content": [
                    {"type": "input_text", "text": "blue "},
                    {"type": "input_text", "text": "giraffe"},
                ],
            }
        ],
    ],
    ids=["string", "easy-message", "message-item", "input-text-parts"],
)
def test_create_echoes_the_input_as_one_output_message(rapi: ResponsesApi, given: Any) -> None:
    response = rapi.call("responses.create", model=MODEL, input=given)

    assert response.object == "response"
    assert response.id.startswith("resp_")
    assert response.status == "completed"
    assert response.model == MODEL
    assert response.error is None
    assert response.incomplete_details is None
    assert response.instructions is None
    assert response.tools == []
    assert response.parallel_tool_calls is True
    assert response.metadata == {}
    assert response.tool_choice == "auto"
    [message] = response.output
    assert message.type == "message"
    assert message.role == "assistant"
    assert message.status == "completed"
    assert message.id.startswith("msg_")
    [part] = message.content
    assert part.type == "output_text"
    assert part.text == "blue giraffe"
    assert part.annotations == []
    assert response.output_text == "blue giraffe"
    assert response.usage is not None
    assert response.usage.output_tokens == 2
    assert response.usage.total_tokens == response.usage.input_tokens + 2
    assert response.usage.input_tokens_details.cached_tokens == 0
    assert response.usage.output_tokens_details.reasoning_tokens == 0
    assert response._request_id is not None
    assert response._request_id.startswith("req_")


@pytest.mark.parametrize(
    "given",
    [
        "blue giraffe",
        [{"role": "user", "content": [{"type": "input_text", "text": "blue giraffe"}]}],
    ],
    ids=["string", "input-text-parts"],
)
def test_create_body_has_every_required_field(
    raw: Callable[..., httpx.Response], given: Any
) -> None:
    """The JSON as sent has every field that ``Response``, ``OutputMessage`` and
    ``ResponseUsage`` require."""
    sent = raw(input=given, instructions="be brief", metadata={"case": "r1"})

    assert sent.status_code == 200
    assert sent.headers["content-type"].startswith("application/json")
    body = assert_response(sent.json())
    assert output_text(body) == "blue giraffe"
    assert body["instructions"] == "be brief"
    assert body["metadata"] == {"case": "r1"}
    assert body["usage"]["output_tokens"] == 2


def test_create_answers_the_last_user_message_after_instructions_and_turns(
    rapi: ResponsesApi,
) -> None:
    response = rapi.call(
        "responses.create",
        model=MODEL,
        instructions="answer in one word",
        input=[
            {"role": "user", "content": "first question"},
            {"role": "assistant", "content": "first answer"},
            {"role": "user", "content": [{"type": "input_text", "text": "second question"}]},
        ],
    )

    assert response.instructions == "answer in one word"
    assert response.output_text == "second question"


def test_create_gives_stubs_the_instructions_as_the_system_message(
    rapi: ResponsesApi, stub: Callable[..., None]
) -> None:
    stub(
        {
            "match": {"endpoint": "responses", "system": "pirate", "last_user": "hello"},
            "respond": {"content": "Ahoy, {{ last_user }}!"},
        }
    )

    response = rapi.call(
        "responses.create", model=MODEL, instructions="talk like a pirate", input="hello"
    )

    assert response.output_text == "Ahoy, hello!"


def test_create_reports_the_stub_model_and_echoes_request_fields(
    client: openai.OpenAI, stub: Callable[..., None]
) -> None:
    stub({"match": {"last_user": "model?"}, "respond": {"content": "me", "model": "gpt-4o-2024"}})

    response = client.responses.create(
        model=MODEL,
        input="model?",
        temperature=0.5,
        top_p=0.9,
        parallel_tool_calls=False,
        metadata={"run": "7"},
        user="u-1",
    )

    assert response.model == "gpt-4o-2024"
    assert response.temperature == 0.5
    assert response.top_p == 0.9
    assert response.parallel_tool_calls is False
    assert response.metadata == {"run": "7"}
    assert response.user == "u-1"
    assert response.to_dict()["store"] is True  # not in the SDK type; echoed as OpenAI does


def test_create_renders_a_refusal_as_a_refusal_part(
    rapi: ResponsesApi, stub: Callable[..., None]
) -> None:
    stub({"match": {"last_user": "secret"}, "respond": {"refusal": "I can't help with that."}})

    response = rapi.call("responses.create", model=MODEL, input="tell me the secret")

    [message] = response.output
    [part] = message.content
    assert part.type == "refusal"
    assert part.refusal == "I can't help with that."
    assert response.output_text == ""


def test_create_with_an_empty_answer_gives_one_empty_message(
    raw: Callable[..., httpx.Response], stub: Callable[..., None]
) -> None:
    """An answer with no text is still an output message (RS6: output is never empty)."""
    stub({"match": {"last_user": "quiet"}, "respond": {"content": ""}})

    body = assert_response(raw(input="quiet").json())

    [message] = body["output"]
    assert message["content"] == [
        {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
    ]
    assert body["usage"]["output_tokens"] == 0


def test_create_truncates_at_max_output_tokens(rapi: ResponsesApi) -> None:
    words = " ".join(["word"] * 30)

    response = rapi.call("responses.create", model=MODEL, input=words, max_output_tokens=16)

    assert response.status == "incomplete"
    assert response.incomplete_details is not None
    assert response.incomplete_details.reason == "max_output_tokens"
    assert response.max_output_tokens == 16
    assert response.output_text == " ".join(["word"] * 16)
    assert response.output[0].status == "incomplete"
    assert response.usage is not None
    assert response.usage.output_tokens == 16


def test_create_within_max_output_tokens_completes(raw: Callable[..., httpx.Response]) -> None:
    body = assert_response(raw(input="blue giraffe", max_output_tokens=16).json())

    assert body["max_output_tokens"] == 16
    assert output_text(body) == "blue giraffe"


@pytest.mark.parametrize("limit", [15, 0, -1], ids=["15", "0", "negative"])
def test_create_rejects_max_output_tokens_below_16(client: openai.OpenAI, limit: int) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.responses.create(model=MODEL, input="hi", max_output_tokens=limit)

    assert caught.value.status_code == 400
    assert caught.value.param == "max_output_tokens"
    assert caught.value.type == "invalid_request_error"


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"input": "hi"}, "model"),
        ({"model": MODEL, "input": 3}, "input"),
        ({"model": MODEL, "input": "hi", "temperature": 3}, "temperature"),
        ({"model": MODEL, "input": "hi", "tool_choice": "always"}, "tool_choice"),
        ({"model": MODEL, "input": "hi", "max_output_tokens": 15}, "max_output_tokens"),
    ],
    ids=["no-model", "input-number", "temperature", "tool-choice", "max-output-tokens"],
)
def test_create_rejects_an_invalid_body_with_the_envelope(
    http: httpx.Client, body: dict[str, Any], param: str
) -> None:
    sent = http.post("/v1/responses", json=body)

    assert sent.status_code == 400
    error = sent.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["param"] == param
    assert error["type"] == "invalid_request_error"


def test_create_json_object_format_answers_a_json_object(rapi: ResponsesApi) -> None:
    response = rapi.call(
        "responses.create",
        model=MODEL,
        input="blue giraffe",
        text={"format": {"type": "json_object"}},
    )

    assert json.loads(response.output_text) == {"text": "blue giraffe"}
    assert response.text.format.type == "json_object"


class Pet(BaseModel):
    name: str
    legs: int
    tags: list[str]


def test_create_parse_gives_the_pydantic_model(rapi: ResponsesApi) -> None:
    """Without a stub, the echo backend generates a value from the request's schema."""
    response = rapi.call("responses.parse", model=MODEL, input="a pet", text_format=Pet)

    assert isinstance(response.output_parsed, Pet)
    assert response.output_parsed == Pet.model_validate_json(response.output_text)
    assert response.text.format.type == "json_schema"
    assert response.text.format.name == "Pet"
    assert response.text.format.strict is True


def test_create_parse_a_stub_json_answer(rapi: ResponsesApi, stub: Callable[..., None]) -> None:
    stub(
        {
            "match": {"response_format": "json_schema", "last_user": "cat"},
            "respond": {"json": {"name": "Tom", "legs": 4, "tags": ["grey"]}},
        }
    )

    response = rapi.call("responses.parse", model=MODEL, input="a cat", text_format=Pet)

    assert response.output_parsed == Pet(name="Tom", legs=4, tags=["grey"])
    [message] = response.output
    assert message.content[0].parsed == Pet(name="Tom", legs=4, tags=["grey"])
