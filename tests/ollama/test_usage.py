"""Token counts of Ollama answers agree with ``/v1/chat/completions`` for the same request."""

from __future__ import annotations

from typing import Any

import pytest

from tests.ollama.conftest import Wire, split_ndjson
from tests.ollama.test_tools import WEATHER_TOOL

CONVERSATIONS = {
    "one-message": [{"role": "user", "content": "blue giraffe"}],
    "system-and-history": [
        {"role": "system", "content": "You answer in one sentence."},
        {"role": "user", "content": "What is the capital of France?"},
        {"role": "assistant", "content": "Paris."},
        {"role": "user", "content": "And of Italy, with 3 facts about it?"},
    ],
}


def _openai_usage(wire: Wire, messages: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    response = wire.post("/v1/chat/completions", {"model": "llama3", "messages": messages, **extra})
    assert response.status_code == 200, response.text
    usage: dict[str, Any] = response.json()["usage"]
    return usage


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "single"])
@pytest.mark.parametrize("name", list(CONVERSATIONS))
def test_chat_counts_agree_with_chat_completions(wire: Wire, name: str, stream: bool) -> None:
    messages = CONVERSATIONS[name]
    response = wire.post("/api/chat", {"model": "llama3", "messages": messages, "stream": stream})

    final = split_ndjson(response)[-1] if stream else response.json()

    usage = _openai_usage(wire, messages)
    assert (final["prompt_eval_count"], final["eval_count"]) == (
        usage["prompt_tokens"],
        usage["completion_tokens"],
    )


def test_chat_counts_agree_with_tools_and_a_limit(wire: Wire) -> None:
    messages = CONVERSATIONS["system-and-history"]
    body = {
        "model": "llama3",
        "messages": messages,
        "tools": [WEATHER_TOOL],
        "options": {"num_predict": 4},
        "stream": False,
    }

    final = wire.post("/api/chat", body).json()

    usage = _openai_usage(wire, messages, tools=[WEATHER_TOOL], max_tokens=4)
    assert final["eval_count"] == usage["completion_tokens"] == 4
    assert final["prompt_eval_count"] == usage["prompt_tokens"]


def test_chat_counts_agree_for_a_tool_call_answer(wire: Wire) -> None:
    wire.stub(
        {"respond": {"tool_calls": [{"name": "get_weather", "arguments": {"city": "Paris"}}]}}
    )
    messages = CONVERSATIONS["one-message"]
    body = {"model": "llama3", "messages": messages, "tools": [WEATHER_TOOL], "stream": False}

    final = wire.post("/api/chat", body).json()

    usage = _openai_usage(wire, messages, tools=[WEATHER_TOOL])
    assert (final["prompt_eval_count"], final["eval_count"]) == (
        usage["prompt_tokens"],
        usage["completion_tokens"],
    )


def test_generate_counts_agree_with_chat_completions_of_system_and_prompt(wire: Wire) -> None:
    body = {"model": "llama3", "prompt": "Why is the sky blue?", "system": "Be brief."}

    final = split_ndjson(wire.post("/api/generate", body))[-1]

    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Why is the sky blue?"},
    ]
    usage = _openai_usage(wire, messages)
    assert (final["prompt_eval_count"], final["eval_count"]) == (
        usage["prompt_tokens"],
        usage["completion_tokens"],
    )


def test_scripted_usage_is_reported(wire: Wire) -> None:
    wire.stub(
        {"respond": {"content": "hi", "usage": {"prompt_tokens": 26, "completion_tokens": 259}}}
    )

    final = wire.post("/api/chat", {"model": "llama3", "messages": CONVERSATIONS["one-message"]})

    assert split_ndjson(final)[-1]["prompt_eval_count"] == 26
    assert split_ndjson(final)[-1]["eval_count"] == 259


def test_chat_counts_agree_for_a_conversation_with_a_tool_result(wire: Wire) -> None:
    ask = {"role": "user", "content": "What is the weather in Paris?"}
    ollama_messages: list[dict[str, Any]] = [
        ask,
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [{"function": {"name": "get_weather", "arguments": {"city": "Paris"}}}],
        },
        {"role": "tool", "content": "sunny", "tool_name": "get_weather"},
    ]
    openai_messages: list[dict[str, Any]] = [
        ask,
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
                }
            ],
        },
        {"role": "tool", "content": "sunny", "tool_call_id": "call_1"},
    ]
    body = {"model": "llama3", "messages": ollama_messages, "tools": [WEATHER_TOOL]}

    final = split_ndjson(wire.post("/api/chat", body))[-1]

    usage = _openai_usage(wire, openai_messages, tools=[WEATHER_TOOL])
    assert (final["prompt_eval_count"], final["eval_count"]) == (
        usage["prompt_tokens"],
        usage["completion_tokens"],
    )
