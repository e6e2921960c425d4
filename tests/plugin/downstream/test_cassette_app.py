"""A downstream project's cassette tests: a streamed tool-calling agent loop, recorded once.

Run by ``tests/plugin/test_record.py`` with ``--mockgpt-record``; each test writes what its
client saw to ``$OBSERVED_DIR/<test id>.json`` so that the recording run and the replay run
can be compared chunk by chunk.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from openai import AsyncOpenAI, OpenAI

MODEL = "gpt-4o-mini"

TOOLS: list[Any] = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    }
]


def summary(chunks: list[Any]) -> dict[str, Any]:
    """Every chunk's first-choice delta, and the message and usage they make."""
    deltas: list[Any] = []
    content = ""
    calls: dict[int, dict[str, str]] = {}
    finish_reason = None
    usage = None
    for chunk in chunks:
        if chunk.usage is not None:
            usage = [chunk.usage.prompt_tokens, chunk.usage.completion_tokens]
        if not chunk.choices:
            continue
        choice = chunk.choices[0]
        tool_deltas = [
            [t.index, t.id, *((t.function.name, t.function.arguments) if t.function else ())]
            for t in choice.delta.tool_calls or ()
        ]
        deltas.append([choice.delta.content, tool_deltas, choice.finish_reason])
        content += choice.delta.content or ""
        for index, call_id, name, arguments in tool_deltas:
            call = calls.setdefault(index, {"id": "", "name": "", "arguments": ""})
            call["id"] = call_id or call["id"]
            call["name"] += name or ""
            call["arguments"] += arguments or ""
        finish_reason = choice.finish_reason or finish_reason
    return {
        "deltas": deltas,
        "content": content,
        "tool_calls": [calls[i] for i in sorted(calls)],
        "finish_reason": finish_reason,
        "usage": usage,
    }


def streamed_turn(client: OpenAI, messages: list[Any]) -> dict[str, Any]:
    """One streamed turn of the conversation."""
    stream = client.chat.completions.create(
        model=MODEL,
        messages=messages,
        tools=TOOLS,
        stream=True,
        stream_options={"include_usage": True},
    )
    with stream:
        return summary(list(stream))


def weather_agent(city: str) -> list[dict[str, Any]]:
    """The application: streams a tool call, runs the tool, streams the final answer."""
    with OpenAI(max_retries=0) as client:  # OPENAI_BASE_URL and OPENAI_API_KEY
        messages: list[Any] = [{"role": "user", "content": f"What is the weather in {city}?"}]
        first = streamed_turn(client, messages)
        messages.append(
            {
                "role": "assistant",
                "content": first["content"] or None,
                "tool_calls": [
                    {
                        "id": call["id"],
                        "type": "function",
                        "function": {"name": call["name"], "arguments": call["arguments"]},
                    }
                    for call in first["tool_calls"]
                ],
            }
        )
        for call in first["tool_calls"]:
            city = json.loads(call["arguments"])["city"]
            messages.append(
                {"role": "tool", "tool_call_id": call["id"], "content": f"18 °C in {city}"}
            )
        return [first, streamed_turn(client, messages)]


def observe(request: pytest.FixtureRequest, mockgpt: Any, turns: list[dict[str, Any]]) -> None:
    name = re.sub(r"\W+", "-", request.node.name).strip("-")
    record = {"turns": turns, "stubs": [call.stub for call in mockgpt.journal]}
    Path(os.environ["OBSERVED_DIR"], f"{name}.json").write_text(json.dumps(record))


@pytest.mark.parametrize("mockgpt", ["socket", "asgi"], indirect=True)
@pytest.mark.mockgpt(cassette=True)
def test_weather_agent(mockgpt: Any, request: pytest.FixtureRequest) -> None:
    first, final = weather_agent("Oslo")

    assert first["content"] == "Let me check."
    assert first["tool_calls"] == [
        {"id": "call_oslo", "name": "get_weather", "arguments": '{"city": "Oslo", "days": 2}'}
    ]
    assert first["finish_reason"] == "tool_calls"
    assert final["content"] == "Sunny, 18 °C in Oslo."
    assert final["finish_reason"] == "stop"
    observe(request, mockgpt, [first, final])


@pytest.mark.anyio
@pytest.mark.mockgpt(cassette=True, transport="asgi")
async def test_weather_tool_call_async(mockgpt: Any, request: pytest.FixtureRequest) -> None:
    async with AsyncOpenAI(max_retries=0) as client:
        stream = await client.chat.completions.create(
            model=MODEL,
            messages=[{"role": "user", "content": "What is the weather in Oslo?"}],
            tools=TOOLS,
            stream=True,
            stream_options={"include_usage": True},
        )
        turn = summary([chunk async for chunk in stream])

    assert turn["tool_calls"][0]["name"] == "get_weather"
    assert turn["finish_reason"] == "tool_calls"
    observe(request, mockgpt, [turn])
