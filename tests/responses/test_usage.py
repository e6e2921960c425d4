"""Usage on the Responses API agrees with chat completions for the same conversation and
answer: ``input_tokens`` = ``prompt_tokens``, ``output_tokens`` = ``completion_tokens``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import openai
import pytest

from tests.responses.conftest import MODEL

TOOL = {
    "type": "function",
    "name": "get_weather",
    "description": "The weather.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
}
CHAT_TOOL = {
    "type": "function",
    "function": {k: v for k, v in TOOL.items() if k != "type"},
}


def _agree(client: openai.OpenAI, chat: dict[str, Any], responses: dict[str, Any]) -> None:
    completion = client.chat.completions.create(model=MODEL, **chat)
    response = client.responses.create(model=MODEL, **responses)
    with client.chat.completions.create(
        model=MODEL, stream=True, stream_options={"include_usage": True}, **chat
    ) as chunks:
        [*_, last] = list(chunks)
    with client.responses.create(model=MODEL, stream=True, **responses) as events:
        [*_, streamed] = list(events)

    assert completion.usage is not None
    assert response.usage is not None
    assert response.usage.input_tokens == completion.usage.prompt_tokens
    assert response.usage.output_tokens == completion.usage.completion_tokens
    assert response.usage.total_tokens == completion.usage.total_tokens
    assert last.usage == completion.usage
    assert streamed.response.usage == response.usage
    message = completion.choices[0].message
    assert response.output_text == (message.content or "")


def test_usage_agrees_for_text(client: openai.OpenAI) -> None:
    _agree(
        client,
        {"messages": [{"role": "user", "content": "blue giraffe"}]},
        {"input": "blue giraffe"},
    )


def test_usage_agrees_with_instructions_and_turns(client: openai.OpenAI) -> None:
    turns = [
        {"role": "user", "content": "first question, rather long"},
        {"role": "assistant", "content": "first answer"},
        {"role": "user", "content": "second question"},
    ]
    _agree(
        client,
        {"messages": [{"role": "developer", "content": "be brief"}, *turns]},
        {"instructions": "be brief", "input": turns},
    )


def test_usage_agrees_for_a_stub_answer(client: openai.OpenAI, stub: Callable[..., None]) -> None:
    stub(
        {
            "match": {"last_user": "story"},
            "respond": {"content": "Once upon a time, in 1999, a cat!"},
        }
    )

    _agree(
        client,
        {"messages": [{"role": "user", "content": "a story"}]},
        {"input": [{"role": "user", "content": [{"type": "input_text", "text": "a story"}]}]},
    )


def test_usage_agrees_for_a_scripted_usage(
    client: openai.OpenAI, stub: Callable[..., None]
) -> None:
    stub(
        {
            "match": {"last_user": "count"},
            "respond": {"content": "ok", "usage": {"prompt_tokens": 100, "completion_tokens": 7}},
        }
    )

    response = client.responses.create(model=MODEL, input="count")

    assert response.usage is not None
    assert (response.usage.input_tokens, response.usage.output_tokens) == (100, 7)
    assert response.usage.total_tokens == 107


def test_usage_agrees_for_a_tool_call_and_its_result(
    client: openai.OpenAI, stub: Callable[..., None]
) -> None:
    stub(
        {"match": {"tool_result": {"name": "get_weather"}}, "respond": {"content": "Sunny."}},
        {
            "match": {"last_user": "weather"},
            "respond": {
                "tool_calls": [{"name": "get_weather", "arguments": {"city": "Rome"}, "id": "c1"}]
            },
        },
    )
    _agree(
        client,
        {"messages": [{"role": "user", "content": "weather?"}], "tools": [CHAT_TOOL]},
        {"input": "weather?", "tools": [TOOL]},
    )
    arguments = '{"city": "Rome"}'
    _agree(
        client,
        {
            "messages": [
                {"role": "user", "content": "weather?"},
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "c1",
                            "type": "function",
                            "function": {"name": "get_weather", "arguments": arguments},
                        }
                    ],
                },
                {"role": "tool", "tool_call_id": "c1", "content": "sunny, 24C"},
            ],
            "tools": [CHAT_TOOL],
        },
        {
            "input": [
                {"role": "user", "content": "weather?"},
                {
                    "type": "function_call",
                    "call_id": "c1",
                    "name": "get_weather",
                    "arguments": arguments,
                },
                {"type": "function_call_output", "call_id": "c1", "output": "sunny, 24C"},
            ],
            "tools": [TOOL],
        },
    )


@pytest.mark.parametrize("limit", [16, 20], ids=["16", "20"])
def test_usage_agrees_when_cut_by_the_token_limit(client: openai.OpenAI, limit: int) -> None:
    text = " ".join(["token"] * 40)

    completion = client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": text}], max_completion_tokens=limit
    )
    response = client.responses.create(model=MODEL, input=text, max_output_tokens=limit)

    assert completion.choices[0].finish_reason == "length"
    assert response.status == "incomplete"
    assert response.output_text == completion.choices[0].message.content
    assert completion.usage is not None
    assert response.usage is not None
    assert response.usage.output_tokens == completion.usage.completion_tokens == limit
    assert response.usage.input_tokens == completion.usage.prompt_tokens


def test_usage_of_a_chain_counts_the_earlier_turns(client: openai.OpenAI) -> None:
    first = client.responses.create(model=MODEL, input="blue giraffe", instructions="be brief")
    second = client.responses.create(model=MODEL, input="red panda", previous_response_id=first.id)
    chat = client.chat.completions.create(
        model=MODEL,
        messages=[
            {"role": "user", "content": "blue giraffe"},
            {"role": "assistant", "content": "blue giraffe"},
            {"role": "user", "content": "red panda"},
        ],
    )

    assert chat.usage is not None
    assert second.usage is not None
    assert second.usage.input_tokens == chat.usage.prompt_tokens
