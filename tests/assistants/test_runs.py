"""Runs answered by stubs: polling, tool calls, failures, cancel, steps, run CRUD."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import openai
import pytest
from openai.types.beta.threads import Message, Run
from openai.types.shared_params import ResponseFormatJSONSchema

from mockgpt.scenarios import Scenario
from mockgpt.server import MockServer
from tests.assistants.conftest import MODEL, WEATHER_STUBS
from tests.support import assert_envelope

# openai 3.x marks every beta.assistants / beta.threads method @deprecated (Assistants API).
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _texts(messages: list[Message]) -> list[tuple[str, str]]:
    return [(m.role, m.content[0].text.value) for m in messages]  # type: ignore[union-attr]


def _messages(client: openai.OpenAI, thread_id: str) -> list[tuple[str, str]]:
    return _texts(client.beta.threads.messages.list(thread_id, order="asc").data)


def _weather_run(client: openai.OpenAI, assistant: str) -> tuple[str, Run]:
    thread = client.beta.threads.create(
        messages=[{"role": "user", "content": "What's the weather in Paris?"}]
    )
    return thread.id, client.beta.threads.runs.create_and_poll(
        thread_id=thread.id, assistant_id=assistant
    )


def test_run_create_and_poll_echoes_the_last_user_message(
    client: openai.OpenAI, assistant: str
) -> None:
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "blue giraffe"}])

    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant)

    assert run.status == "completed"
    assert run.id.startswith("run_")
    assert (run.thread_id, run.assistant_id, run.model) == (thread.id, assistant, MODEL)
    assert run.instructions == "You are terse."
    assert run.started_at is not None
    assert run.completed_at is not None
    assert (run.required_action, run.last_error, run.expires_at) == (None, None, None)
    assert run.usage is not None
    assert run.usage.completion_tokens == 2
    assert run.usage.total_tokens == run.usage.prompt_tokens + 2
    messages = client.beta.threads.messages.list(thread.id, order="asc").data
    assert _texts(messages) == [("user", "blue giraffe"), ("assistant", "blue giraffe")]
    answer = messages[1]
    assert (answer.run_id, answer.assistant_id, answer.status) == (run.id, assistant, "completed")


def test_run_create_returns_queued_and_retrieve_is_finished(
    client: openai.OpenAI, assistant: str
) -> None:
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "hi"}])

    queued = client.beta.threads.runs.create(thread_id=thread.id, assistant_id=assistant)
    done = client.beta.threads.runs.retrieve(queued.id, thread_id=thread.id)

    assert (queued.status, queued.started_at, queued.usage) == ("queued", None, None)
    assert queued.expires_at == queued.created_at + 600
    assert (done.status, done.expires_at) == ("completed", None)
    assert done.created_at <= done.started_at <= done.completed_at  # type: ignore[operator]


def test_run_sends_instructions_tools_and_format_to_the_stub(
    client: openai.OpenAI, stub: Callable[..., None], server: MockServer
) -> None:
    stub(
        {
            "match": {
                "endpoint": "assistants",
                "system": {"equals": "Be brief.\n\nAnswer in JSON."},
                "tools": ["lookup"],
                "response_format": "json_object",
                "messages": [{"role": "assistant", "content": "earlier answer"}],
            },
            "respond": {"json": {"ok": True}},
        }
    )
    assistant = client.beta.assistants.create(
        model=MODEL,
        instructions="Be brief.",
        tools=[{"type": "function", "function": {"name": "lookup"}}, {"type": "file_search"}],
        response_format={"type": "json_object"},
    )
    thread = client.beta.threads.create(
        messages=[
            {"role": "user", "content": "hello"},
            {"role": "assistant", "content": "earlier answer"},
        ]
    )

    run = client.beta.threads.runs.create_and_poll(
        thread_id=thread.id,
        assistant_id=assistant.id,
        additional_instructions="Answer in JSON.",
        additional_messages=[{"role": "user", "content": "and now?"}],
    )

    assert run.status == "completed"
    assert _messages(client, thread.id)[-2:] == [
        ("user", "and now?"),
        ("assistant", '{"ok": true}'),
    ]
    (create,) = [e for e in server.engine.journal.entries() if e.path.endswith("/runs")]
    assert create.stub == "test.stubs[0]"


def test_run_overrides_model_and_instructions(client: openai.OpenAI, assistant: str) -> None:
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "x"}])

    run = client.beta.threads.runs.create_and_poll(
        thread_id=thread.id,
        assistant_id=assistant,
        model="gpt-4o",
        instructions="Other.",
        metadata={"case": "1"},
        tools=[],
    )

    assert (run.model, run.instructions, run.metadata, run.tools) == (
        "gpt-4o",
        "Other.",
        {"case": "1"},
        [],
    )


def test_tool_call_round_trip(client: openai.OpenAI, assistant: str, stub: Any) -> None:
    stub(*WEATHER_STUBS)

    thread_id, run = _weather_run(client, assistant)

    assert run.status == "requires_action"
    assert run.required_action is not None
    assert run.required_action.type == "submit_tool_outputs"
    (call,) = run.required_action.submit_tool_outputs.tool_calls
    assert (call.type, call.function.name, call.function.arguments) == (
        "function",
        "get_weather",
        '{"city": "Paris"}',
    )
    assert run.usage is None
    assert run.completed_at is None

    done = client.beta.threads.runs.submit_tool_outputs_and_poll(
        run_id=run.id,
        thread_id=thread_id,
        tool_outputs=[{"tool_call_id": call.id, "output": "22C"}],
    )

    assert done.status == "completed"
    assert done.required_action is None
    assert done.usage is not None
    assert done.usage.completion_tokens > 0
    assert _messages(client, thread_id) == [
        ("user", "What's the weather in Paris?"),
        ("assistant", "In Paris it is 22C."),
    ]
    steps = client.beta.threads.runs.steps.list(run.id, thread_id=thread_id, order="asc").data
    assert [(s.type, s.status) for s in steps] == [
        ("tool_calls", "completed"),
        ("message_creation", "completed"),
    ]
    tool_step = steps[0].step_details
    assert tool_step.type == "tool_calls"
    function = tool_step.tool_calls[0].function  # type: ignore[union-attr]
    assert (function.name, function.output) == ("get_weather", "22C")
    assert steps[0].usage is not None
    assert steps[1].usage is not None
    assert done.usage.total_tokens == steps[0].usage.total_tokens + steps[1].usage.total_tokens
    retrieved = client.beta.threads.runs.steps.retrieve(
        steps[1].id, thread_id=thread_id, run_id=run.id
    )
    assert retrieved == steps[1]


def test_submit_tool_outputs_errors(
    client: openai.OpenAI, http: httpx.Client, assistant: str, stub: Any
) -> None:
    stub(*WEATHER_STUBS)
    thread_id, run = _weather_run(client, assistant)
    path = f"/v1/threads/{thread_id}/runs/{run.id}/submit_tool_outputs"
    assert run.required_action is not None
    call_id = run.required_action.submit_tool_outputs.tool_calls[0].id

    assert_envelope(http.post(path, json={"tool_outputs": []}), 400, param="tool_outputs")
    unknown = {"tool_outputs": [{"tool_call_id": "call_x", "output": "1"}]}
    assert_envelope(http.post(path, json=unknown), 400, param="tool_outputs[0].tool_call_id")
    assert_envelope(http.post(path, json={}), 400, param="tool_outputs")
    ok = {"tool_outputs": [{"tool_call_id": call_id, "output": "1"}]}
    assert http.post(path, json=ok).json()["status"] == "queued"
    error = assert_envelope(http.post(path, json=ok), 400, param=None)
    assert error["message"] == 'Runs in status "completed" do not accept tool outputs.'


@pytest.mark.parametrize(
    ("status", "code"),
    [(429, "rate_limit_exceeded"), (500, "server_error"), (503, "server_error")],
    ids=["429", "500", "503"],
)
def test_error_stub_fails_the_run(
    client: openai.OpenAI, assistant: str, stub: Any, status: int, code: str
) -> None:
    stub({"match": {"endpoint": "assistants"}, "respond": {"error": {"status": status}}})
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "hi"}])

    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant)

    assert run.status == "failed"
    assert run.last_error is not None
    assert run.last_error.code == code
    assert run.last_error.message
    assert run.failed_at is not None
    assert (run.completed_at, run.required_action, run.expires_at) == (None, None, None)
    assert _messages(client, thread.id) == [("user", "hi")]


def test_no_stub_matched_with_fallback_error_fails_the_run(
    client: openai.OpenAI, server: MockServer, assistant: str
) -> None:
    server.engine.registry.add(
        Scenario.model_validate({"name": "strict", "fallback": "error", "stubs": []})
    )
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "hi"}])

    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant)

    assert run.status == "failed"
    assert run.last_error is not None
    assert "No stub matched" in run.last_error.message


def test_length_finish_leaves_the_run_incomplete(
    client: openai.OpenAI, assistant: str, stub: Any
) -> None:
    stub({"respond": {"content": "cut off", "finish_reason": "length"}})
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "hi"}])

    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant)

    assert run.status == "incomplete"
    assert run.incomplete_details is not None
    assert run.incomplete_details.reason == "max_completion_tokens"
    message = client.beta.threads.messages.list(thread.id).data[0]
    assert (message.status, message.content[0].text.value) == ("incomplete", "cut off")  # type: ignore[union-attr]
    assert message.incomplete_details is not None
    assert message.incomplete_details.reason == "max_tokens"


def test_refusal_and_json_schema_answers(client: openai.OpenAI, assistant: str, stub: Any) -> None:
    stub(
        {"match": {"last_user": "secret"}, "respond": {"refusal": "I can't share that."}},
        {"match": {"response_format": "json_schema"}, "respond": {"json": "from_schema"}},
    )
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "the secret?"}])

    client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant)
    refusal = client.beta.threads.messages.list(thread.id).data[0].content
    client.beta.threads.messages.create(thread.id, role="user", content="as JSON")
    schema: dict[str, object] = {
        "type": "object",
        "properties": {"n": {"type": "integer"}},
        "required": ["n"],
    }
    response_format: ResponseFormatJSONSchema = {
        "type": "json_schema",
        "json_schema": {"name": "n", "schema": schema},
    }
    client.beta.threads.runs.create_and_poll(
        thread_id=thread.id, assistant_id=assistant, response_format=response_format
    )
    structured = client.beta.threads.messages.list(thread.id).data[0]

    assert [p.model_dump() for p in refusal] == [
        {"type": "refusal", "refusal": "I can't share that."}
    ]
    assert isinstance(json.loads(structured.content[0].text.value)["n"], int)  # type: ignore[union-attr]


def test_cancel_a_run_waiting_for_tool_outputs(
    client: openai.OpenAI, http: httpx.Client, assistant: str, stub: Any
) -> None:
    stub(*WEATHER_STUBS)
    thread_id, run = _weather_run(client, assistant)

    cancelling = client.beta.threads.runs.cancel(run.id, thread_id=thread_id)
    cancelled = client.beta.threads.runs.retrieve(run.id, thread_id=thread_id)

    assert cancelling.status == "cancelling"
    assert (cancelled.status, cancelled.required_action) == ("cancelled", None)
    assert cancelled.cancelled_at is not None
    steps = client.beta.threads.runs.steps.list(run.id, thread_id=thread_id).data
    assert [s.status for s in steps] == ["cancelled"]
    again = http.post(f"/v1/threads/{thread_id}/runs/{run.id}/cancel")
    assert assert_envelope(again, 400, param=None)["message"] == (
        "Cannot cancel run with status 'cancelled'."
    )


def test_active_run_blocks_new_messages_and_runs(
    client: openai.OpenAI, http: httpx.Client, assistant: str, stub: Any
) -> None:
    stub(*WEATHER_STUBS)
    thread_id, run = _weather_run(client, assistant)

    message = http.post(f"/v1/threads/{thread_id}/messages", json={"role": "user", "content": "x"})
    another = http.post(f"/v1/threads/{thread_id}/runs", json={"assistant_id": assistant})

    assert f"while a run {run.id} is active" in assert_envelope(message, 400, param=None)["message"]
    assert_envelope(another, 400, param=None)


def test_create_thread_and_run(client: openai.OpenAI, assistant: str) -> None:
    run = client.beta.threads.create_and_run_poll(
        assistant_id=assistant,
        thread={"messages": [{"role": "user", "content": "new thread"}], "metadata": {"a": "b"}},
    )

    assert run.status == "completed"
    assert client.beta.threads.retrieve(run.thread_id).metadata == {"a": "b"}
    assert _messages(client, run.thread_id) == [
        ("user", "new thread"),
        ("assistant", "new thread"),
    ]


def test_run_create_errors(client: openai.OpenAI, http: httpx.Client) -> None:
    thread = client.beta.threads.create()
    runs = f"/v1/threads/{thread.id}/runs"

    assert_envelope(http.post(runs, json={}), 400, param="assistant_id")
    missing = http.post(runs, json={"assistant_id": "asst_nope"})
    assert_envelope(missing, 404, param="assistant_id")
    assert_envelope(
        http.post("/v1/threads/thread_nope/runs", json={"assistant_id": "a"}), 404, param=None
    )
    assert_envelope(
        http.post("/v1/threads/runs", json={"assistant_id": "asst_nope"}), 404, param="assistant_id"
    )
    too_few = {"assistant_id": "asst_x", "max_completion_tokens": 10}
    assert_envelope(http.post(runs, json=too_few), 400, param="max_completion_tokens")


def test_run_list_retrieve_update_and_message_filter(client: openai.OpenAI, assistant: str) -> None:
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "one"}])
    first = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant)
    client.beta.threads.messages.create(thread.id, role="user", content="two")
    second = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant)

    runs = client.beta.threads.runs.list(thread.id)
    assert [r.id for r in runs.data] == [second.id, first.id]
    assert client.beta.threads.runs.retrieve(first.id, thread_id=thread.id) == first
    updated = client.beta.threads.runs.update(first.id, thread_id=thread.id, metadata={"x": "y"})
    assert updated.metadata == {"x": "y"}
    by_run = client.beta.threads.messages.list(thread.id, run_id=second.id).data
    assert _texts(by_run) == [("assistant", "two")]
    assert len(client.beta.threads.messages.list(thread.id).data) == 4
