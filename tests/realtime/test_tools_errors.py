"""Function calls and their outputs, errors as ``error`` events (the session stays open), a
stub's scripted error as a failed response, and ``response.cancel``."""

from __future__ import annotations

import json
from collections.abc import Callable

from tests.realtime.conftest import Realtime, until, user_text

WEATHER_TOOL = {
    "type": "function",
    "name": "get_weather",
    "description": "The weather in a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
}
WITH_TOOL = {
    "type": "session.update",
    "session": {"type": "realtime", "output_modalities": ["text"], "tools": [WEATHER_TOOL]},
}


def test_tool_call_round_trip(rt: Realtime, stub: Callable[..., None]) -> None:
    stub(
        {
            "match": {"tool_result": {"name": "get_weather", "content": {"contains": "18"}}},
            "respond": {"content": "It is 18 degrees in Paris."},
        },
        {
            "match": {"last_user": "weather in Paris?", "tools": ["get_weather"]},
            "respond": {
                "tool_calls": [
                    {"id": "call_1", "name": "get_weather", "arguments": {"city": "Paris"}}
                ]
            },
        },
    )

    with rt.connect() as conn:
        conn.send(WITH_TOOL)
        conn.send(user_text("weather in Paris?"))
        until(conn, "conversation.item.done")
        conn.send({"type": "response.create"})
        events = until(conn, "response.done")
        conn.send(
            {
                "type": "conversation.item.create",
                "item": {
                    "type": "function_call_output",
                    "call_id": "call_1",
                    "output": '{"c": 18}',
                },
            }
        )
        until(conn, "conversation.item.done")
        conn.send({"type": "response.create"})
        answer = until(conn, "response.done")[-1].response

    types = [e.type for e in events]
    assert types[:3] == [
        "response.created",
        "response.output_item.added",
        "conversation.item.added",
    ]
    assert set(types[3:-4]) == {"response.function_call_arguments.delta"}
    assert types[-4:] == [
        "response.function_call_arguments.done",
        "response.output_item.done",
        "conversation.item.done",
        "response.done",
    ]
    done = events[-4]
    assert (done.name, done.call_id) == ("get_weather", "call_1")
    assert json.loads(done.arguments) == {"city": "Paris"}
    deltas = "".join(e.delta for e in events if e.type == "response.function_call_arguments.delta")
    assert deltas == done.arguments
    call = events[-1].response.output[0]
    assert (call.type, call.name, call.call_id, call.status) == (
        "function_call",
        "get_weather",
        "call_1",
        "completed",
    )
    assert answer.output[0].content[0].text == "It is 18 degrees in Paris."


def test_malformed_events_get_error_events_and_the_session_stays_open(rt: Realtime) -> None:
    with rt.connect() as conn:
        conn.recv()
        conn.send({"type": "conversation.item.create", "event_id": "evt_1", "item": {"type": "x"}})
        bad_item = conn.recv()
        conn.send({"type": "no.such.event"})
        unknown = conn.recv()
        conn.send({"type": "session.update", "session": {"output_modalities": ["smell"]}})
        bad_session = conn.recv()
        conn.send({"type": "response.cancel"})
        nothing_to_cancel = conn.recv()
        conn.send(user_text("still here"))
        added = conn.recv()

    assert bad_item.type == "error"
    assert (bad_item.error.param, bad_item.error.code) == ("item.type", "invalid_value")
    assert bad_item.error.event_id == "evt_1"
    assert bad_item.error.type == "invalid_request_error"
    assert (unknown.type, unknown.error.param) == ("error", "type")
    assert "no.such.event" in unknown.error.message
    assert bad_session.error.param == "session.output_modalities"
    assert nothing_to_cancel.error.code == "response_cancel_not_active"
    assert added.type == "conversation.item.added"


def test_stub_error_is_an_error_event_and_a_failed_response(
    rt: Realtime, stub: Callable[..., None]
) -> None:
    stub(
        {
            "match": {"endpoint": "realtime"},
            "respond": {
                "error": {"status": 429, "message": "slow down", "code": "rate_limit_exceeded"}
            },
        }
    )

    with rt.connect() as conn:
        conn.send(user_text("hi"))
        conn.send({"type": "response.create"})
        events = until(conn, "response.done")

    assert [e.type for e in events[-3:]] == ["response.created", "error", "response.done"]
    error = events[-2].error
    assert (error.code, error.message) == ("rate_limit_exceeded", "slow down")
    response = events[-1].response
    assert response.status == "failed"
    assert response.status_details.type == "failed"
    assert response.status_details.error.code == "rate_limit_exceeded"


def test_response_cancel_ends_a_held_back_response_as_cancelled(
    rt: Realtime, stub: Callable[..., None]
) -> None:
    stub({"respond": {"content": "never said"}, "fault": {"delay_ms": 600_000}})

    with rt.connect() as conn:
        conn.send(user_text("hi"))
        conn.send({"type": "response.create"})
        until(conn, "response.created")
        conn.send({"type": "response.create"})
        busy = conn.recv()
        conn.send({"type": "response.cancel"})
        done = conn.recv()
        conn.send({"type": "response.create", "response": {"output_modalities": ["text"]}})
        # the stub still holds its answer back: cancel the next one too
        created = conn.recv()
        conn.send({"type": "response.cancel"})
        again = conn.recv()

    assert busy.error.code == "conversation_already_has_active_response"
    assert done.type == "response.done"
    assert done.response.status == "cancelled"
    assert done.response.status_details.reason == "client_cancelled"
    assert done.response.output == []
    assert created.type == "response.created"
    assert again.response.status == "cancelled"


def test_error_after_chunks_fault_fails_the_response_mid_answer(
    rt: Realtime, stub: Callable[..., None]
) -> None:
    stub(
        {
            "respond": {"content": "one two three four"},
            "fault": {
                "error_after_chunks": 4,
                "error_event": {"status": 500, "message": "model exploded", "code": "server_error"},
            },
        }
    )

    with rt.connect() as conn:
        conn.send(user_text("hi"))
        until(conn, "conversation.item.done")
        conn.send({"type": "response.create", "response": {"output_modalities": ["text"]}})
        events = until(conn, "response.done")

    types = [e.type for e in events]
    assert types[:5] == [
        "response.created",
        "response.output_item.added",
        "conversation.item.added",
        "response.content_part.added",
        "response.output_text.delta",
    ]
    assert types[5] == "error"
    assert events[5].error.message == "model exploded"
    assert events[-1].response.status == "failed"
    assert events[-1].response.output[0].status == "incomplete"


def test_text_then_a_tool_call_are_two_output_items_in_order(
    rt: Realtime, stub: Callable[..., None]
) -> None:
    stub(
        {
            "respond": {
                "content": "Let me check.",
                "tool_calls": [{"id": "call_9", "name": "get_weather", "arguments": {}}],
            }
        }
    )

    with rt.connect() as conn:
        conn.send(WITH_TOOL)
        conn.send(user_text("weather?"))
        until(conn, "conversation.item.done")
        conn.send({"type": "response.create"})
        events = until(conn, "response.done")

    items = [(e.type, e.item.type) for e in events if e.type.startswith("response.output_item")]
    assert items == [
        ("response.output_item.added", "message"),
        ("response.output_item.done", "message"),
        ("response.output_item.added", "function_call"),
        ("response.output_item.done", "function_call"),
    ]
    output = events[-1].response.output
    assert [o.type for o in output] == ["message", "function_call"]
    assert output[0].content[0].text == "Let me check."
    assert output[1].call_id == "call_9"
    assert [e.output_index for e in events if e.type == "response.output_item.done"] == [0, 1]


def test_max_output_tokens_makes_the_response_incomplete(rt: Realtime) -> None:
    with rt.connect() as conn:
        conn.send(user_text("blue giraffe"))
        until(conn, "conversation.item.done")
        conn.send(
            {
                "type": "response.create",
                "response": {"max_output_tokens": 1, "output_modalities": ["text"]},
            }
        )
        done = until(conn, "response.done")[-1].response

    assert done.status == "incomplete"
    assert done.status_details.reason == "max_output_tokens"
    assert done.output[0].content[0].text == "blue"
    assert done.max_output_tokens == 1


def test_items_can_be_retrieved_and_deleted(rt: Realtime) -> None:
    with rt.connect() as conn:
        conn.send(user_text("keep me"))
        item_id = until(conn, "conversation.item.done")[-1].item.id
        conn.send({"type": "conversation.item.retrieve", "item_id": item_id})
        retrieved = conn.recv()
        conn.send({"type": "conversation.item.delete", "item_id": item_id})
        deleted = conn.recv()
        conn.send({"type": "conversation.item.retrieve", "item_id": item_id})
        gone = conn.recv()

    assert retrieved.type == "conversation.item.retrieved"
    assert retrieved.item.content[0].text == "keep me"
    assert (deleted.type, deleted.item_id) == ("conversation.item.deleted", item_id)
    assert (gone.type, gone.error.code) == ("error", "item_not_found")
