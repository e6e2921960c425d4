"""Streamed runs: the official helpers (``runs.stream``, ``submit_tool_outputs_stream``) and
the raw SSE bytes (``event: <name>`` + ``data: <json>``, ``event: done`` / ``data: [DONE]``)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import openai
import pytest
from openai import AssistantEventHandler
from openai.types.beta import AssistantStreamEvent
from openai.types.beta.threads import Message, Run, Text, TextDelta
from openai.types.beta.threads.runs import RunStep, ToolCall, ToolCallDelta

from tests.assistants.conftest import MODEL, WEATHER_STUBS, WEATHER_TOOL, InProcess

# openai 3.x marks every beta.assistants / beta.threads method @deprecated (Assistants API).
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

RUN_STATUS_EVENTS = {"queued", "in_progress", "requires_action", "completed", "failed"}


class Collector(AssistantEventHandler):
    """Records what the official helper reports."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[str] = []
        self.text_deltas: list[str] = []
        self.texts: list[str] = []
        self.tool_calls: list[ToolCall] = []
        self.argument_deltas: list[str] = []
        self.steps_done: list[RunStep] = []

    def on_event(self, event: AssistantStreamEvent) -> None:
        self.events.append(event.event)

    def on_text_delta(self, delta: TextDelta, snapshot: Text) -> None:
        self.text_deltas.append(delta.value or "")

    def on_text_done(self, text: Text) -> None:
        self.texts.append(text.value)

    def on_tool_call_delta(self, delta: ToolCallDelta, snapshot: ToolCall) -> None:
        if delta.type == "function" and delta.function and delta.function.arguments:
            self.argument_deltas.append(delta.function.arguments)

    def on_tool_call_done(self, tool_call: ToolCall) -> None:
        self.tool_calls.append(tool_call)

    def on_run_step_done(self, run_step: RunStep) -> None:
        self.steps_done.append(run_step)


def _text(message: Message) -> str:
    return message.content[0].text.value  # type: ignore[union-attr]


def _frames(body: bytes) -> list[tuple[str, Any]]:
    """``(event name, decoded data)`` per SSE event, asserting the framing byte by byte."""
    assert body.endswith(b"\n\n"), body[-80:]
    frames = []
    for raw in body[:-2].split(b"\n\n"):
        head, _, data = raw.partition(b"\n")
        assert head.startswith(b"event: "), raw[:80]
        assert data.startswith(b"data: "), raw[:80]
        assert b"\n" not in data, raw[:80]
        assert b"\r" not in raw, raw[:80]
        payload = data[len(b"data: ") :]
        frames.append(
            (head[7:].decode(), payload.decode() if payload == b"[DONE]" else json.loads(payload))
        )
    return frames


def test_stream_helper_collects_text_deltas(client: openai.OpenAI, assistant: str) -> None:
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "blue giraffe"}])
    handler = Collector()

    with client.beta.threads.runs.stream(
        thread_id=thread.id, assistant_id=assistant, event_handler=handler
    ) as stream:
        stream.until_done()
        final_messages = stream.get_final_messages()
        final_run = stream.get_final_run()

    assert handler.text_deltas == ["blue", " giraffe"]
    assert handler.texts == ["blue giraffe"]
    assert handler.events == [
        "thread.run.created",
        "thread.run.queued",
        "thread.run.in_progress",
        "thread.run.step.created",
        "thread.run.step.in_progress",
        "thread.message.created",
        "thread.message.in_progress",
        "thread.message.delta",
        "thread.message.delta",
        "thread.message.completed",
        "thread.run.step.completed",
        "thread.run.completed",
    ]
    assert [_text(m) for m in final_messages] == ["blue giraffe"]
    assert final_run.status == "completed"
    assert final_run.usage is not None
    stored = client.beta.threads.runs.retrieve(final_run.id, thread_id=thread.id)
    assert stored == final_run
    assert (
        client.beta.threads.messages.retrieve(final_messages[0].id, thread_id=thread.id)
        == (final_messages[0])
    )


def test_stream_tool_round_trip_with_submit_tool_outputs_stream(
    client: openai.OpenAI, assistant: str, stub: Any
) -> None:
    stub(*WEATHER_STUBS)
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "weather?"}])
    first = Collector()

    with client.beta.threads.runs.stream(
        thread_id=thread.id, assistant_id=assistant, event_handler=first
    ) as stream:
        stream.until_done()
        run = stream.get_final_run()

    assert run.status == "requires_action"
    assert first.events[-1] == "thread.run.requires_action"
    assert first.argument_deltas  # the fragments after the one that opened the call
    (call,) = first.tool_calls
    assert call.type == "function"
    assert (call.function.name, call.function.arguments) == ("get_weather", '{"city": "Paris"}')
    assert run.required_action is not None
    assert run.required_action.submit_tool_outputs.tool_calls[0].id == call.id

    second = Collector()
    with client.beta.threads.runs.submit_tool_outputs_stream(
        thread_id=thread.id,
        run_id=run.id,
        tool_outputs=[{"tool_call_id": call.id, "output": "sunny"}],
        event_handler=second,
    ) as stream:
        stream.until_done()
        done = stream.get_final_run()

    assert second.events[:3] == [
        "thread.run.step.completed",
        "thread.run.queued",
        "thread.run.in_progress",
    ]
    assert second.steps_done[0].type == "tool_calls"
    assert "".join(second.text_deltas) == "In Paris it is sunny."
    assert done.status == "completed"
    messages = client.beta.threads.messages.list(thread.id, order="asc").data
    assert [_text(m) for m in messages] == ["weather?", "In Paris it is sunny."]


def test_stream_raw_framing(http: httpx.Client, client: openai.OpenAI, assistant: str) -> None:
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "hi there"}])

    response = http.post(
        f"/v1/threads/{thread.id}/runs", json={"assistant_id": assistant, "stream": True}
    )

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    frames = _frames(response.content)
    assert frames[-1] == ("done", "[DONE]")
    assert response.content.endswith(b"event: done\ndata: [DONE]\n\n")
    for name, data in frames[:-1]:
        kind = data["object"]
        if kind.endswith(".delta"):
            assert name == kind
        else:
            assert name.rpartition(".")[0] == kind, (name, kind)
            suffix = name.rpartition(".")[2]
            if suffix in RUN_STATUS_EVENTS or suffix == "completed":
                assert data["status"] == suffix, (name, data["status"])
    deltas = [d for n, d in frames if n == "thread.message.delta"]
    assert deltas[0]["delta"]["content"] == [
        {"index": 0, "type": "text", "text": {"value": "hi", "annotations": []}}
    ]
    assert deltas[1]["delta"]["content"] == [
        {"index": 0, "type": "text", "text": {"value": " there"}}
    ]


def test_stream_create_thread_and_run_starts_with_thread_created(
    http: httpx.Client, assistant: str
) -> None:
    response = http.post(
        "/v1/threads/runs",
        json={
            "assistant_id": assistant,
            "stream": True,
            "thread": {"messages": [{"role": "user", "content": "hello"}]},
        },
    )

    frames = _frames(response.content)
    assert [n for n, _ in frames[:3]] == [
        "thread.created",
        "thread.run.created",
        "thread.run.queued",
    ]
    thread, run = frames[0][1], frames[1][1]
    assert thread["object"] == "thread"
    assert run["thread_id"] == thread["id"]
    assert frames[-2][0] == "thread.run.completed"


def test_stream_tool_call_step_deltas(
    http: httpx.Client, client: openai.OpenAI, assistant: str, stub: Any
) -> None:
    stub(*WEATHER_STUBS)
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "weather"}])

    frames = _frames(
        http.post(
            f"/v1/threads/{thread.id}/runs", json={"assistant_id": assistant, "stream": True}
        ).content
    )

    names = [n for n, _ in frames]
    assert names[-2:] == ["thread.run.requires_action", "done"]
    deltas = [d for n, d in frames if n == "thread.run.step.delta"]
    first_call = deltas[0]["delta"]["step_details"]["tool_calls"][0]
    assert first_call["index"] == 0
    assert first_call["type"] == "function"
    assert first_call["function"]["name"] == "get_weather"
    assert first_call["function"]["output"] is None
    later = [d["delta"]["step_details"]["tool_calls"][0] for d in deltas[1:]]
    assert all(set(c) == {"index", "type", "function"} for c in later)
    joined = "".join(c["function"]["arguments"] for c in [first_call, *later])
    assert joined == '{"city": "Paris"}'


def test_stream_error_stub_sends_run_failed(
    client: openai.OpenAI, http: httpx.Client, assistant: str, stub: Any
) -> None:
    stub({"respond": {"error": {"status": 429, "message": "slow down"}}})
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "hi"}])
    handler = Collector()

    with client.beta.threads.runs.stream(
        thread_id=thread.id, assistant_id=assistant, event_handler=handler
    ) as stream:
        stream.until_done()
        run = stream.get_final_run()

    assert handler.events[-1] == "thread.run.failed"
    assert run.status == "failed"
    assert run.last_error is not None
    assert (run.last_error.code, run.last_error.message) == ("rate_limit_exceeded", "slow down")
    raw = http.post(
        f"/v1/threads/{thread.id}/runs", json={"assistant_id": assistant, "stream": True}
    )
    assert [n for n, _ in _frames(raw.content)][-2:] == ["thread.run.failed", "done"]


def test_stream_error_fault_mid_stream_raises_api_error(
    client: openai.OpenAI, assistant: str, stub: Any
) -> None:
    stub(
        {
            "respond": {"content": "a long answer"},
            "fault": {"error_after_chunks": 4, "error_event": {"status": 500, "message": "boom"}},
        }
    )
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "hi"}])

    with (
        pytest.raises(openai.APIError, match="boom"),
        client.beta.threads.runs.stream(thread_id=thread.id, assistant_id=assistant) as stream,
    ):
        stream.until_done()


def test_cancel_while_streaming(
    http: httpx.Client, client: openai.OpenAI, assistant: str, stub: Any
) -> None:
    """A run cancelled mid-stream ends its message ``incomplete`` and the run ``cancelled``."""
    words = " ".join(f"word{i}" for i in range(40))
    stub({"respond": {"content": words}, "pacing": {"tokens_per_second": 100}})
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "talk"}])
    body = {"assistant_id": assistant, "stream": True}

    with http.stream("POST", f"/v1/threads/{thread.id}/runs", json=body) as response:
        lines = response.iter_lines()
        run_id = json.loads(next(line for line in lines if line.startswith("data: "))[6:])["id"]
        next(line for line in lines if line == "event: thread.message.delta")
        cancelling = client.beta.threads.runs.cancel(run_id, thread_id=thread.id)
        names = [line[7:] for line in lines if line.startswith("event: ")]

    assert cancelling.status == "cancelling"
    assert names[-4:] == [
        "thread.message.incomplete",
        "thread.run.step.cancelled",
        "thread.run.cancelled",
        "done",
    ]
    run = client.beta.threads.runs.retrieve(run_id, thread_id=thread.id)
    assert (run.status, run.cancelled_at is not None, run.completed_at) == ("cancelled", True, None)
    message = client.beta.threads.messages.list(thread.id).data[0]
    assert message.status == "incomplete"
    assert message.incomplete_details is not None
    assert message.incomplete_details.reason == "run_cancelled"
    assert len(message.content[0].text.value) < len(words)  # type: ignore[union-attr]


@pytest.mark.anyio
async def test_async_stream_helper_in_process(inproc: InProcess) -> None:
    inproc.stub(*WEATHER_STUBS)
    beta = inproc.client.beta
    assistant = await beta.assistants.create(model=MODEL, tools=[WEATHER_TOOL])
    thread = await beta.threads.create(messages=[{"role": "user", "content": "weather?"}])

    async with beta.threads.runs.stream(thread_id=thread.id, assistant_id=assistant.id) as stream:
        await stream.until_done()
        run: Run = await stream.get_final_run()
    assert run.required_action is not None
    call = run.required_action.submit_tool_outputs.tool_calls[0]
    async with beta.threads.runs.submit_tool_outputs_stream(
        thread_id=thread.id,
        run_id=run.id,
        tool_outputs=[{"tool_call_id": call.id, "output": "cold"}],
    ) as stream:
        texts = [text async for text in stream.text_deltas]

    assert "".join(texts) == "In Paris it is cold."
    done = await beta.threads.runs.retrieve(run.id, thread_id=thread.id)
    assert done.status == "completed"


@pytest.mark.anyio
async def test_async_create_and_poll_in_process(inproc: InProcess) -> None:
    beta = inproc.client.beta
    assistant = await beta.assistants.create(model=MODEL)
    thread = await beta.threads.create(messages=[{"role": "user", "content": "in process"}])

    run = await beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id)

    assert run.status == "completed"
    messages = await beta.threads.messages.list(thread.id)
    assert _text(messages.data[0]) == "in process"
