"""Tool calls on ``/api/chat``: Ollama's shape out, tool results back in to the stubs."""

from __future__ import annotations

from typing import Any

import pytest

from tests.ollama.conftest import Wire, assert_final, journalled, split_ndjson

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The weather in a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}
ASK = {"role": "user", "content": "What is the weather in Paris?"}
AGENT_LOOP = (
    {
        "id": "answer-from-tool-result",
        "match": {"endpoint": "ollama", "tool_result": {"name": "get_weather"}},
        "respond": {"content": "It is {{ messages[-1].content }} in Paris."},
    },
    {
        "id": "call-weather-tool",
        "match": {"endpoint": "ollama", "tools": ["get_weather"], "last_user": "weather"},
        "respond": {"tool_calls": [{"name": "get_weather", "arguments": {"city": "Paris"}}]},
    },
)


def _chat(wire: Wire, messages: list[dict[str, Any]], stream: bool = False) -> Any:
    body = {"model": "llama3", "messages": messages, "tools": [WEATHER_TOOL], "stream": stream}
    response = wire.post("/api/chat", body)
    return split_ndjson(response) if stream else response.json()


def test_chat_tool_call_has_ollama_shape(wire: Wire) -> None:
    wire.stub(*AGENT_LOOP)

    answer = _chat(wire, [ASK])

    [call] = answer["message"]["tool_calls"]
    assert call["id"].startswith("call_")
    assert call["function"] == {"index": 0, "name": "get_weather", "arguments": {"city": "Paris"}}
    assert answer["message"]["content"] == ""
    assert_final(answer, "stop")
    assert answer["eval_count"] > 0


def test_chat_tool_calls_stream_as_one_line_before_the_final_one(wire: Wire) -> None:
    wire.stub(
        {
            "respond": {
                "tool_calls": [
                    {"name": "get_weather", "arguments": {"city": "Paris"}, "id": "call_a"},
                    {"name": "get_weather", "arguments": '{"city": "Rome"}'},
                ]
            }
        }
    )

    *lines, final = _chat(wire, [ASK], stream=True)

    assert [line["message"]["content"] for line in lines] == [""]
    calls = lines[0]["message"]["tool_calls"]
    assert calls[0] == {
        "id": "call_a",
        "function": {"index": 0, "name": "get_weather", "arguments": {"city": "Paris"}},
    }
    assert calls[1]["function"] == {
        "index": 1,
        "name": "get_weather",
        "arguments": {"city": "Rome"},
    }
    assert "tool_calls" not in final["message"]
    assert_final(final)


def test_chat_tool_call_whose_arguments_are_not_an_object_is_sent_as_text(wire: Wire) -> None:
    wire.stub({"respond": {"tool_calls": [{"name": "get_weather", "arguments": "not json"}]}})

    answer = _chat(wire, [ASK])

    assert answer["message"] == {"role": "assistant", "content": "not json"}


def _assistant_call(with_id: str | None) -> dict[str, Any]:
    call: dict[str, Any] = {"function": {"name": "get_weather", "arguments": {"city": "Paris"}}}
    if with_id:
        call["id"] = with_id
    return {"role": "assistant", "content": "", "tool_calls": [call]}


@pytest.mark.parametrize(
    ("call_id", "result"),
    [
        (None, {"role": "tool", "content": "sunny", "tool_name": "get_weather"}),
        (None, {"role": "tool", "content": "sunny"}),
        ("call_1", {"role": "tool", "content": "sunny", "tool_call_id": "call_1"}),
        ("call_1", {"role": "tool", "content": "sunny", "tool_name": "get_weather"}),
    ],
    ids=["tool_name", "in-order", "tool_call_id", "id-and-tool_name"],
)
def test_chat_tool_result_reaches_a_tool_result_stub(
    wire: Wire, call_id: str | None, result: dict[str, Any]
) -> None:
    wire.stub(*AGENT_LOOP)

    answer = _chat(wire, [ASK, _assistant_call(call_id), result])

    assert answer["message"]["content"] == "It is sunny in Paris."
    assert "tool_calls" not in answer["message"]


def test_chat_tool_result_for_another_tool_does_not_match(wire: Wire) -> None:
    wire.stub(*AGENT_LOOP)
    other = {"role": "tool", "content": "42", "tool_name": "get_time"}
    call = {"function": {"name": "get_time", "arguments": {}}}

    answer = _chat(wire, [ASK, {"role": "assistant", "content": "", "tool_calls": [call]}, other])

    assert "tool_calls" in answer["message"]  # the next stub: a new call for the weather


def test_chat_agent_loop_round_trip_with_the_answers_sent_back(wire: Wire) -> None:
    """Send back exactly what the server answered, as an agent loop does."""
    wire.stub(*AGENT_LOOP)
    messages: list[dict[str, Any]] = [ASK]

    first = _chat(wire, messages)
    messages.append(first["message"])
    for call in first["message"]["tool_calls"]:
        messages.append({"role": "tool", "content": "rainy", "tool_name": call["function"]["name"]})
    second = _chat(wire, messages, stream=True)

    assert "".join(o["message"]["content"] for o in second) == "It is rainy in Paris."
    assert [e.stub for e in journalled(wire.engine, 2)] == [
        "call-weather-tool",
        "answer-from-tool-result",
    ]


def test_generate_renders_a_scripted_tool_call_as_text(wire: Wire) -> None:
    wire.stub({"respond": {"tool_calls": [{"name": "get_weather", "arguments": {"city": "Oslo"}}]}})

    body = wire.post("/api/generate", {"model": "llama3", "prompt": "hi", "stream": False}).json()

    assert body["response"] == '{"name":"get_weather","arguments":{"city":"Oslo"}}'
