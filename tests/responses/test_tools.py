"""Function tools on the Responses API: ``function_call`` items (R4), their stream events
(RS5) and the round trip through ``function_call_output`` input items (R6)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import openai
import pytest
from openai.types.responses import FunctionToolParam

from tests.responses.clients import ResponsesApi
from tests.responses.conftest import MODEL
from tests.responses.wire import assert_lifecycle, assert_response, split_frames

WEATHER: FunctionToolParam = {
    "type": "function",
    "name": "get_weather",
    "description": "The weather in a city.",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
        "additionalProperties": False,
    },
    "strict": True,
}
TIME: FunctionToolParam = {
    "type": "function",
    "name": "get_time",
    "parameters": {
        "type": "object",
        "properties": {"zone": {"type": "string", "enum": ["UTC", "CET"]}},
        "required": ["zone"],
    },
    "strict": False,
}
CALL_WEATHER = {
    "id": "call-weather",
    "match": {"endpoint": "responses", "last_user": "weather", "tools": ["get_weather"]},
    "respond": {"tool_calls": [{"name": "get_weather", "arguments": {"city": "Paris"}}]},
}
ANSWER_FROM_RESULT = {
    "id": "answer-from-result",
    "match": {"tool_result": {"name": "get_weather"}},
    "respond": {"content": "It is {{ messages[-1].content }} in Paris."},
}


def test_tools_stub_call_becomes_a_function_call_item(
    rapi: ResponsesApi, stub: Callable[..., None]
) -> None:
    stub(CALL_WEATHER)

    response = rapi.call(
        "responses.create", model=MODEL, input="weather in Paris?", tools=[WEATHER]
    )

    [call] = response.output
    assert call.type == "function_call"
    assert call.name == "get_weather"
    assert call.call_id.startswith("call_")
    assert call.id.startswith("fc_")
    assert call.status == "completed"
    assert isinstance(call.arguments, str)
    assert json.loads(call.arguments) == {"city": "Paris"}
    assert response.output_text == ""
    assert response.status == "completed"
    assert [t.name for t in response.tools] == ["get_weather"]


def test_tools_function_call_item_raw_shape(
    raw: Callable[..., httpx.Response], stub: Callable[..., None]
) -> None:
    stub(CALL_WEATHER)

    body = assert_response(raw(input="weather?", tools=[WEATHER]).json())

    [call] = body["output"]
    assert call["type"] == "function_call"
    assert json.loads(call["arguments"]) == {"city": "Paris"}
    assert body["tools"] == [WEATHER]
    assert body["usage"]["output_tokens"] > 0


def test_tools_stream_sends_argument_deltas_and_done(
    rapi: ResponsesApi, stub: Callable[..., None]
) -> None:
    stub(CALL_WEATHER)

    events, final = rapi.helper(model=MODEL, input="weather?", tools=[WEATHER])

    types = [e.type for e in events]
    assert types[:3] == ["response.created", "response.in_progress", "response.output_item.added"]
    assert types[-3:] == [
        "response.function_call_arguments.done",
        "response.output_item.done",
        "response.completed",
    ]
    added = events[2]
    assert added.item.type == "function_call"
    assert added.item.name == "get_weather"
    assert added.item.arguments == ""
    deltas = [e for e in events if e.type == "response.function_call_arguments.delta"]
    assert len(deltas) > 1
    assert {d.item_id for d in deltas} == {added.item.id}
    [done] = [e for e in events if e.type == "response.function_call_arguments.done"]
    assert done.arguments == "".join(d.delta for d in deltas)
    assert json.loads(done.arguments) == {"city": "Paris"}
    assert done.name == "get_weather"
    assert final is not None
    [call] = final.output
    assert call.type == "function_call"
    assert call.call_id == added.item.call_id
    assert json.loads(call.arguments) == {"city": "Paris"}
    assert call.parsed_arguments == {"city": "Paris"}  # strict tool: the helper parses


def test_tools_stream_raw_lifecycle(
    raw: Callable[..., httpx.Response], stub: Callable[..., None]
) -> None:
    stub(CALL_WEATHER)

    frames = split_frames(raw(input="weather?", tools=[WEATHER], stream=True).content)

    final = assert_lifecycle(frames)
    assert [f.name for f in frames].count("response.function_call_arguments.done") == 1
    assert json.loads(final["output"][0]["arguments"]) == {"city": "Paris"}


def test_tools_round_trip_with_previous_response_id(
    rapi: ResponsesApi, stub: Callable[..., None]
) -> None:
    stub(ANSWER_FROM_RESULT, CALL_WEATHER)

    first = rapi.call("responses.create", model=MODEL, input="weather in Paris?", tools=[WEATHER])
    [call] = first.output
    second = rapi.call(
        "responses.create",
        model=MODEL,
        previous_response_id=first.id,
        input=[{"type": "function_call_output", "call_id": call.call_id, "output": "22C"}],
        tools=[WEATHER],
    )

    assert second.output_text == "It is 22C in Paris."
    assert second.previous_response_id == first.id
    assert second.status == "completed"


def test_tools_round_trip_with_the_items_sent_back(
    rapi: ResponsesApi, stub: Callable[..., None]
) -> None:
    """Without ``previous_response_id`` the client sends the call and its output as items."""
    stub(ANSWER_FROM_RESULT, CALL_WEATHER)
    question = {"role": "user", "content": "weather in Paris?"}

    first = rapi.call("responses.create", model=MODEL, input=[question], tools=[WEATHER])
    [call] = first.output
    second = rapi.call(
        "responses.create",
        model=MODEL,
        input=[
            question,
            call.to_dict(),
            {"type": "function_call_output", "call_id": call.call_id, "output": "18C"},
        ],
        tools=[WEATHER],
    )

    assert second.output_text == "It is 18C in Paris."


def test_tools_result_of_another_function_does_not_match(
    client: openai.OpenAI, stub: Callable[..., None]
) -> None:
    stub(ANSWER_FROM_RESULT)

    response = client.responses.create(
        model=MODEL,
        input=[
            {"type": "function_call", "call_id": "c1", "name": "get_time", "arguments": "{}"},
            {"type": "function_call_output", "call_id": "c1", "output": "noon"},
            {"role": "user", "content": "and now?"},
        ],
        tools=[WEATHER, TIME],
    )

    assert response.output_text == "and now?"  # the echo fallback, not the stub


def test_tools_required_without_a_stub_calls_every_function(rapi: ResponsesApi) -> None:
    response = rapi.call(
        "responses.create", model=MODEL, input="hi", tools=[WEATHER, TIME], tool_choice="required"
    )

    assert [c.type for c in response.output] == ["function_call", "function_call"]
    assert [c.name for c in response.output] == ["get_weather", "get_time"]
    assert len({c.call_id for c in response.output}) == 2
    weather, time = (json.loads(c.arguments) for c in response.output)
    assert set(weather) == {"city"}
    assert isinstance(weather["city"], str)
    assert time["zone"] in ("UTC", "CET")
    assert response.tool_choice == "required"


def test_tools_required_streamed_passes_the_lifecycle(raw: Callable[..., httpx.Response]) -> None:
    frames = split_frames(
        raw(input="hi", tools=[WEATHER, TIME], tool_choice="required", stream=True).content
    )

    final = assert_lifecycle(frames)
    assert [i["name"] for i in final["output"]] == ["get_weather", "get_time"]
    assert [i["type"] for i in final["output"]] == ["function_call"] * 2


@pytest.mark.parametrize(
    ("options", "names"),
    [
        ({"tool_choice": {"type": "function", "name": "get_time"}}, ["get_time"]),
        ({"tool_choice": "required", "parallel_tool_calls": False}, ["get_weather"]),
        ({"tool_choice": "auto"}, []),
        ({"tool_choice": "none"}, []),
    ],
    ids=["named", "required-not-parallel", "auto", "none"],
)
def test_tools_choice_decides_the_echo_calls(
    client: openai.OpenAI, options: dict[str, Any], names: list[str]
) -> None:
    response = client.responses.create(model=MODEL, input="hi", tools=[WEATHER, TIME], **options)

    assert [c.name for c in response.output if c.type == "function_call"] == names
    assert response.output_text == ("" if names else "hi")


def test_tools_text_and_calls_in_one_answer(rapi: ResponsesApi, stub: Callable[..., None]) -> None:
    stub(
        {
            "match": {"last_user": "both"},
            "respond": {
                "content": "Checking.",
                "tool_calls": [
                    {"name": "get_weather", "arguments": {"city": "Oslo"}, "id": "call_1"},
                    {"name": "get_time", "arguments": '{"zone": "CET"}', "id": "call_2"},
                ],
            },
        }
    )

    events, final = rapi.helper(model=MODEL, input="both", tools=[WEATHER, TIME])

    assert final is not None
    assert [i.type for i in final.output] == ["message", "function_call", "function_call"]
    assert final.output_text == "Checking."
    assert [(i.call_id, i.name) for i in final.output[1:]] == [
        ("call_1", "get_weather"),
        ("call_2", "get_time"),
    ]
    added = [e.output_index for e in events if e.type == "response.output_item.added"]
    assert added == [0, 1, 2]
