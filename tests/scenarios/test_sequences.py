"""Sequences (repeat, cycle, fail) and the built-in ``agent-loop``, as the client sees them."""

from __future__ import annotations

import json
from typing import Any

import openai
import pytest

from mockgpt.scenarios import load_scenario
from tests.scenarios.helpers import BOTH, USER, Client, Mock, assistant_turn, fold

SEQUENCE = [{"content": "first"}, {"content": "second"}, {"content": "third"}]


def answers(client: Client, count: int, *, stream: bool = False) -> list[str]:
    out = []
    for _ in range(count):
        if stream:
            out.append("".join(fold(client.chat_chunks(model="m", messages=USER))["content"]))
        else:
            out.append(client.chat(model="m", messages=USER).choices[0].message.content or "")
    return out


@BOTH
@pytest.mark.parametrize(
    ("on_exhausted", "expected"),
    [
        ("repeat", ["first", "second", "third", "third", "third"]),
        ("cycle", ["first", "second", "third", "first", "second"]),
    ],
)
def test_sequence_answers_in_order_then(
    mock: Mock, kind: str, on_exhausted: str, expected: list[str]
) -> None:
    mock.add({"id": "seq", "sequence": SEQUENCE, "on_exhausted": on_exhausted})
    client = mock.client(kind)

    assert answers(client, 5) == expected
    assert [e.stub for e in mock.wait_entries(5)] == ["seq"] * 5


def test_sequence_counts_streamed_and_unstreamed_calls_alike(mock: Mock) -> None:
    mock.add({"sequence": SEQUENCE})
    client = mock.client()

    assert answers(client, 1) + answers(client, 1, stream=True) + answers(client, 1) == [
        "first",
        "second",
        "third",
    ]


def test_sequence_default_is_repeat(mock: Mock) -> None:
    mock.add({"sequence": SEQUENCE[:1]})

    assert answers(mock.client(), 3) == ["first"] * 3


@BOTH
def test_sequence_fail_when_exhausted_is_a_500_not_retried(mock: Mock, kind: str) -> None:
    mock.add({"id": "twice", "sequence": SEQUENCE[:2], "on_exhausted": "fail"})
    client = mock.client(kind, max_retries=2)

    assert answers(client, 2) == ["first", "second"]
    with pytest.raises(openai.InternalServerError) as caught:
        client.chat(model="m", messages=USER)

    error = caught.value
    assert error.status_code == 500
    assert error.code == "sequence_exhausted"
    assert error.type == "mockgpt_error"
    assert "stub twice: its sequence of 2 answers is exhausted (call 3)" in error.message
    assert error.response.headers["x-should-retry"] == "false"
    entries = mock.wait_entries(3)
    assert [(e.status, e.stub) for e in entries] == [(200, "twice"), (200, "twice"), (500, "twice")]


def test_sequence_restarts_after_reset(mock: Mock) -> None:
    scenario = {"sequence": SEQUENCE}
    mock.add(scenario)
    client = mock.client()
    assert answers(client, 2) == ["first", "second"]

    mock.server.engine.reset()
    mock.add(scenario)

    assert answers(client, 1) == ["first"]


def test_sequence_of_errors_and_answers(mock: Mock) -> None:
    mock.add(
        {
            "sequence": [
                {"error": {"status": 503, "message": "warming up"}},
                {"content": "ready"},
            ]
        }
    )
    client = mock.client()

    with pytest.raises(openai.InternalServerError, match="warming up"):
        client.chat(model="m", messages=USER)
    assert answers(client, 1) == ["ready"]


# -- the agent loop -------------------------------------------------------------------------


@BOTH
@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_agent_loop_calls_the_tool_then_answers_then_stops(
    mock: Mock, kind: str, stream: bool
) -> None:
    mock.server.engine.registry.add(load_scenario("agent-loop"))
    client = mock.client(kind)
    messages: list[dict[str, Any]] = [{"role": "user", "content": "What's the weather in Paris?"}]
    executed = []

    for _ in range(5):  # a loop that does not end fails below, it does not hang
        message, finish = assistant_turn(client, messages, stream=stream)
        messages.append(message)
        if finish != "tool_calls":
            break
        for call in message["tool_calls"]:
            arguments = json.loads(call["function"]["arguments"])
            executed.append((call["function"]["name"], arguments))
            messages.append({"role": "tool", "tool_call_id": call["id"], "content": "18 °C, sunny"})

    assert executed == [("get_weather", {"city": "Paris"})]
    assert [m["role"] for m in messages] == ["user", "assistant", "tool", "assistant"]
    final = messages[-1]
    assert final == {"role": "assistant", "content": "The weather in Paris: 18 °C, sunny"}
    entries = mock.wait_entries(2)
    assert [e.stub for e in entries] == ["call-weather-tool", "answer-from-tool-result"]
    assert entries[0].misses == {
        "answer-from-tool-result": "tool_result: the conversation has no tool result"
    }
    assert entries[1].misses == {}
