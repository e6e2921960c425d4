"""The Responses API through the proxy: requests go to the upstream's ``/responses`` as
streams, and its events come back as mockgpt's own ``Response`` objects and events."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest

from mockgpt.server import MockServer
from tests.proxy.conftest import upstream_requests

MODEL = "gpt-4o-mini"

WEATHER_TOOL: dict[str, Any] = {
    "type": "function",
    "name": "get_weather",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
}


@pytest.fixture
def client(proxy_server: MockServer) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(
        base_url=proxy_server.base_url,
        api_key="x",
        max_retries=0,
        _strict_response_validation=True,
    ) as client:
        yield client


@pytest.fixture
def direct(scripted_upstream: MockServer) -> Iterator[openai.OpenAI]:
    """A client of the upstream itself, to compare with."""
    with openai.OpenAI(base_url=scripted_upstream.base_url, api_key="x", max_retries=0) as client:
        yield client


def sse_events(body: bytes) -> list[tuple[str, dict[str, Any]]]:
    """``(event name, data)`` of each SSE event of a Responses stream."""
    events = []
    for block in body.decode().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "data" in fields:
            events.append((fields.get("event", ""), json.loads(fields["data"])))
    return events


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_proxy_responses_go_upstream_as_a_stream_to_responses(
    client: openai.OpenAI, direct: openai.OpenAI, scripted_upstream: MockServer, stream: bool
) -> None:
    if stream:
        with client.responses.stream(model=MODEL, input="blue giraffe") as events:
            answer = events.get_final_response()
    else:
        answer = client.responses.create(model=MODEL, input="blue giraffe")
    (sent,) = upstream_requests(scripted_upstream)
    expected = direct.responses.create(model=MODEL, input="blue giraffe")

    assert sent[0] == "/v1/responses"
    assert sent[1]["stream"] is True
    assert sent[1]["input"] == "blue giraffe"
    assert answer.output_text == expected.output_text == "blue giraffe"
    assert answer.status == "completed"
    assert answer.usage is not None
    assert expected.usage is not None
    assert answer.usage.input_tokens == expected.usage.input_tokens
    assert answer.usage.output_tokens == expected.usage.output_tokens


def test_proxy_responses_send_the_client_fields_and_keep_stored_ones_local(
    client: openai.OpenAI, scripted_upstream: MockServer
) -> None:
    first = client.responses.create(model=MODEL, input="blue giraffe", background=True)
    client.responses.create(
        model=MODEL,
        input="hi",
        instructions="be brief",
        temperature=0.5,
        metadata={"k": "v"},
        store=False,
        previous_response_id=first.id,
    )
    body = upstream_requests(scripted_upstream)[1][1]

    assert body["instructions"] == "be brief"
    assert (body["temperature"], body["metadata"], body["store"]) == (0.5, {"k": "v"}, False)
    assert "previous_response_id" not in body
    assert "background" not in upstream_requests(scripted_upstream)[0][1]
    assert "messages" not in body


def test_proxy_responses_stream_a_function_call_through(
    client: openai.OpenAI, scripted_upstream: MockServer
) -> None:
    with client.responses.stream(
        model=MODEL, input="the weather please", tools=[WEATHER_TOOL]
    ) as events:
        answer = events.get_final_response()
    upstream_answer = sse_events(scripted_upstream.engine.journal.entries()[0].response_body)
    (upstream_call,) = [
        data["item"] for name, data in upstream_answer if name == "response.output_item.done"
    ]

    (call,) = answer.output
    assert call.type == "function_call"
    assert (call.name, call.arguments) == ("get_weather", '{"city": "Oslo"}')
    assert call.call_id == upstream_call["call_id"]
    assert answer.status == "completed"


def test_proxy_responses_chained_turns_send_the_whole_conversation_upstream(
    client: openai.OpenAI, scripted_upstream: MockServer
) -> None:
    """The upstream does not know mockgpt's response ids: it gets every earlier turn as input."""
    first = client.responses.create(
        model=MODEL, input="the weather please", tools=[WEATHER_TOOL], instructions="be terse"
    )
    (call,) = first.output
    assert call.type == "function_call"
    second = client.responses.create(
        model=MODEL,
        previous_response_id=first.id,
        input=[{"type": "function_call_output", "call_id": call.call_id, "output": "sunny"}],
        tools=[WEATHER_TOOL],
    )
    body = upstream_requests(scripted_upstream)[1][1]

    assert second.output_text == "Oslo: sunny"
    assert "instructions" not in body  # instructions do not carry over to the next turn
    assert body["input"] == [
        {"type": "message", "role": "user", "content": "the weather please"},
        {
            "type": "function_call",
            "call_id": call.call_id,
            "name": "get_weather",
            "arguments": '{"city": "Oslo"}',
        },
        {"type": "function_call_output", "call_id": call.call_id, "output": "sunny"},
    ]


def test_proxy_responses_in_a_conversation_send_its_items_upstream(
    client: openai.OpenAI, scripted_upstream: MockServer
) -> None:
    conversation = client.conversations.create()
    client.responses.create(model=MODEL, input="first", conversation=conversation.id)
    second = client.responses.create(model=MODEL, input="second", conversation=conversation.id)
    body = upstream_requests(scripted_upstream)[1][1]

    assert second.output_text == "second"
    assert "conversation" not in body
    assert body["input"] == [
        {"type": "message", "role": "user", "content": "first"},
        {"type": "message", "role": "assistant", "content": "first"},
        {"type": "message", "role": "user", "content": "second"},
    ]


def test_proxy_responses_truncated_upstream_answer_is_incomplete(
    client: openai.OpenAI, direct: openai.OpenAI
) -> None:
    long = " ".join(f"word{i}" for i in range(40))
    answer = client.responses.create(model=MODEL, input=long, max_output_tokens=16)
    expected = direct.responses.create(model=MODEL, input=long, max_output_tokens=16)

    assert answer.status == expected.status == "incomplete"
    assert answer.incomplete_details is not None
    assert answer.incomplete_details.reason == "max_output_tokens"
    assert answer.output_text == expected.output_text


def test_proxy_responses_keep_the_upstream_error_status_and_envelope(
    client: openai.OpenAI,
) -> None:
    with pytest.raises(openai.RateLimitError) as caught:
        client.responses.create(model=MODEL, input="limit me", stream=True)

    assert caught.value.status_code == 429
    assert caught.value.body == {
        "message": "slow down",
        "type": "requests",
        "param": None,
        "code": "rate_limit_exceeded",
    }
    assert caught.value.response.headers["retry-after"] == "7"


def test_proxy_responses_upstream_error_event_mid_stream_is_an_error_event(
    proxy_server: MockServer,
) -> None:
    try:
        with httpx.Client(base_url=proxy_server.base_url) as http:
            body = {"model": MODEL, "input": "break", "stream": True}
            answer = http.post("/responses", json=body)
    finally:
        failures = [repr(e) for e in proxy_server.engine.errors]
        proxy_server.engine.errors.clear()
    events = sse_events(answer.content)

    assert not failures
    assert answer.status_code == 200
    assert events[-1][0] == "error"
    assert events[-1][1]["message"] == "it broke"


def test_proxy_responses_expand_mockgpts_compaction_for_the_upstream(
    client: openai.OpenAI, proxy_server: MockServer, scripted_upstream: MockServer
) -> None:
    """A compaction item mockgpt made means nothing upstream: it gets the conversation."""
    first = client.responses.create(model=MODEL, input="blue giraffe")
    with httpx.Client(base_url=proxy_server.base_url) as http:
        compacted = http.post(
            "/responses/compact",
            json={"model": MODEL, "input": "and again", "previous_response_id": first.id},
        ).json()
    client.responses.create(
        model=MODEL,
        input=[*compacted["output"], {"role": "user", "content": "last"}],
    )
    body = upstream_requests(scripted_upstream)[1][1]

    assert body["input"] == [
        {"type": "message", "role": "user", "content": "blue giraffe"},
        {"type": "message", "role": "assistant", "content": "blue giraffe"},
        {"type": "message", "role": "user", "content": "and again"},
        {"type": "message", "role": "user", "content": "last"},
    ]
