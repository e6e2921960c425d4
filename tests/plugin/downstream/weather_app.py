"""A downstream application: it builds its own OpenAI client, as real applications do.

It asks the model about the weather, runs the ``get_weather`` tool the model calls, sends
the result back and returns the model's final answer. Nothing in it knows about mockgpt:
``OpenAI()`` reads ``OPENAI_BASE_URL`` and ``OPENAI_API_KEY`` from the environment.
"""

from __future__ import annotations

import json
from typing import Any

from openai import AsyncOpenAI, OpenAI

MODEL = "gpt-4o-mini"

TOOLS: list[Any] = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "The current weather in a city.",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
]


def get_weather(city: str) -> str:
    """The tool: a fixed report, so tests can assert what was sent back."""
    return f"18 °C and sunny in {city}"


def _tool_results(message: Any) -> list[Any]:
    results: list[Any] = [message.to_dict()]
    for call in message.tool_calls or ():
        arguments = json.loads(call.function.arguments)
        results.append(
            {"role": "tool", "tool_call_id": call.id, "content": get_weather(**arguments)}
        )
    return results


def weather_report(city: str) -> str | None:
    """Ask about the weather in ``city``, answering the model's tool calls."""
    client = OpenAI()
    try:
        messages: list[Any] = [{"role": "user", "content": f"What is the weather in {city}?"}]
        reply = client.chat.completions.create(model=MODEL, messages=messages, tools=TOOLS)
        message = reply.choices[0].message
        if not message.tool_calls:
            return message.content
        messages += _tool_results(message)
        final = client.chat.completions.create(model=MODEL, messages=messages, tools=TOOLS)
        return final.choices[0].message.content
    finally:
        client.close()


async def weather_report_async(city: str) -> str | None:
    """``weather_report`` with ``AsyncOpenAI``."""
    async with AsyncOpenAI() as client:
        messages: list[Any] = [{"role": "user", "content": f"What is the weather in {city}?"}]
        reply = await client.chat.completions.create(model=MODEL, messages=messages, tools=TOOLS)
        message = reply.choices[0].message
        if not message.tool_calls:
            return message.content
        messages += _tool_results(message)
        final = await client.chat.completions.create(model=MODEL, messages=messages, tools=TOOLS)
        return final.choices[0].message.content


def stream_answer(question: str) -> str:
    """Stream an answer and join its deltas."""
    with OpenAI() as client:
        stream = client.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": question}], stream=True
        )
        with stream:
            return "".join(
                chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices
            )
