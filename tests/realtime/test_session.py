"""A Realtime session through the official client: ``session.created`` first, ``session.update``,
conversation items, and the responses' events in the order the GA API sends them."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest

from mockgpt.server import MockServer
from tests.realtime.conftest import MODEL, Realtime, until, user_text

TEXT_ORDER = [
    "response.created",
    "response.output_item.added",
    "conversation.item.added",
    "response.content_part.added",
    "response.output_text.delta",
    "response.output_text.delta",
    "response.output_text.done",
    "response.content_part.done",
    "response.output_item.done",
    "conversation.item.done",
    "response.done",
]
TEXT_ONLY = {
    "type": "session.update",
    "session": {"type": "realtime", "output_modalities": ["text"]},
}


def test_session_created_first_with_the_model_then_update_echoes_the_session(rt: Realtime) -> None:
    with rt.connect(model="gpt-realtime-mini") as conn:
        created = conn.recv()
        conn.send(
            {
                "type": "session.update",
                "session": {
                    "type": "realtime",
                    "instructions": "Be brief.",
                    "output_modalities": ["text"],
                    "audio": {"output": {"voice": "verse"}},
                },
            }
        )
        updated = conn.recv()

    assert created.type == "session.created"
    assert created.session.model == "gpt-realtime-mini"
    assert created.session.output_modalities == ["audio"]
    assert updated.type == "session.updated"
    assert updated.session.id == created.session.id
    assert updated.session.instructions == "Be brief."
    assert updated.session.output_modalities == ["text"]
    assert updated.session.audio.output.voice == "verse"
    assert updated.session.audio.output.format.type == "audio/pcm"  # merged, not replaced


def test_item_create_is_added_then_done_with_an_id(rt: Realtime) -> None:
    with rt.connect() as conn:
        conn.recv()
        conn.send(user_text("hello"))
        added, done = conn.recv(), conn.recv()
        conn.send({"type": "conversation.item.create", "item": {**user_text("again")["item"]}})
        second = conn.recv()

    assert (added.type, done.type) == ("conversation.item.added", "conversation.item.done")
    assert added.item.id == done.item.id
    assert added.item.id.startswith("item_")
    assert added.item.content[0].text == "hello"
    assert added.previous_item_id is None
    assert second.previous_item_id == added.item.id


def test_text_response_events_in_order(rt: Realtime) -> None:
    with rt.connect() as conn:
        conn.send(TEXT_ONLY)
        conn.send(user_text("blue giraffe"))
        until(conn, "conversation.item.done")
        conn.send({"type": "response.create"})
        events = until(conn, "response.done")

    assert [e.type for e in events] == TEXT_ORDER
    deltas = [e.delta for e in events if e.type == "response.output_text.delta"]
    assert "".join(deltas) == "blue giraffe"
    item_id = events[1].item.id
    assert {e.item_id for e in events if hasattr(e, "item_id")} == {item_id}
    assert events[6].text == "blue giraffe"
    done = events[-1].response
    assert done.status == "completed"
    assert done.output[0].content[0].text == "blue giraffe"
    assert done.usage.output_tokens == 2
    assert done.usage.total_tokens == done.usage.input_tokens + 2
    assert events[0].response.id == done.id


def test_audio_response_has_transcript_and_deterministic_pcm16(rt: Realtime) -> None:
    def answer() -> list[Any]:
        with rt.connect() as conn:
            conn.send(user_text("blue giraffe"))
            until(conn, "conversation.item.done")
            conn.send({"type": "response.create"})
            return until(conn, "response.done")

    events = answer()
    types = [e.type for e in events]

    assert types[:4] == [
        "response.created",
        "response.output_item.added",
        "conversation.item.added",
        "response.content_part.added",
    ]
    assert (
        types[4:8]
        == [
            "response.output_audio_transcript.delta",
            "response.output_audio.delta",
        ]
        * 2
    )
    assert types[8:] == [
        "response.output_audio.done",
        "response.output_audio_transcript.done",
        "response.content_part.done",
        "response.output_item.done",
        "conversation.item.done",
        "response.done",
    ]
    audio = b"".join(
        base64.b64decode(e.delta) for e in events if e.type == "response.output_audio.delta"
    )
    assert len(audio) == len("blue giraffe") * 240 * 2  # 10 ms a character, 24 kHz, 16 bits
    assert any(audio[i : i + 2] != b"\0\0" for i in range(0, len(audio), 2))  # a tone, not silence
    transcript = events[9]
    assert transcript.transcript == "blue giraffe"
    done = events[-1].response
    assert done.output[0].content[0].type == "output_audio"
    assert done.output[0].content[0].transcript == "blue giraffe"
    assert done.usage.output_token_details.audio_tokens == 2
    again = answer()
    assert [e.delta for e in again if e.type == "response.output_audio.delta"] == [
        e.delta for e in events if e.type == "response.output_audio.delta"
    ]


def test_stub_matched_by_last_user_text_answers(rt: Realtime, stub: Callable[..., None]) -> None:
    stub(
        {
            "match": {"endpoint": "realtime", "last_user": "weather?"},
            "respond": {"content": "Sunny."},
        }
    )

    with rt.connect() as conn:
        conn.send(TEXT_ONLY)
        conn.send(user_text("weather?"))
        conn.send({"type": "response.create"})
        first = until(conn, "response.done")[-1].response
        conn.send(user_text("anything else"))
        conn.send({"type": "response.create"})
        second = until(conn, "response.done")[-1].response

    assert first.output[0].content[0].text == "Sunny."
    assert second.output[0].content[0].text == "anything else"  # the echo fallback


def test_instructions_and_response_overrides_reach_the_stubs(
    rt: Realtime, stub: Callable[..., None]
) -> None:
    stub({"match": {"system": {"contains": "pirate"}}, "respond": {"content": "Arr."}})

    with rt.connect() as conn:
        conn.send(user_text("hi"))
        conn.send(
            {
                "type": "response.create",
                "response": {"instructions": "Talk like a pirate.", "output_modalities": ["text"]},
            }
        )
        done = until(conn, "response.done")[-1].response

    assert done.output[0].content[0].text == "Arr."
    assert done.output_modalities == ["text"]


def test_second_response_sees_the_first_answer_in_the_conversation(
    rt: Realtime, stub: Callable[..., None]
) -> None:
    stub(
        {
            "match": {"messages": [{"role": "assistant", "content": "first answer"}]},
            "respond": {"content": "second answer"},
        },
        {"match": {"last_user": "one"}, "respond": {"content": "first answer"}},
    )

    with rt.connect() as conn:
        conn.send(TEXT_ONLY)
        conn.send(user_text("one"))
        conn.send({"type": "response.create"})
        until(conn, "response.done")
        conn.send(user_text("two"))
        conn.send({"type": "response.create"})
        done = until(conn, "response.done")[-1].response

    assert done.output[0].content[0].text == "second answer"


@pytest.mark.parametrize("path", ["/v1/realtime", "/realtime"])
def test_served_with_and_without_the_v1_prefix(raw_socket: Callable[..., Any], path: str) -> None:
    with raw_socket(f"{path}?model={MODEL}") as ws:
        assert '"type":"session.created"' in ws.recv(timeout=30)


def test_out_of_band_response_answers_its_own_input_and_keeps_the_conversation(
    rt: Realtime, stub: Callable[..., None], server: MockServer
) -> None:
    stub({"match": {"last_user": "classify: spam?"}, "respond": {"content": "ham"}})

    with rt.connect() as conn:
        conn.send(TEXT_ONLY)
        conn.send(user_text("hello"))
        kept = until(conn, "conversation.item.done")[-1].item.id
        conn.send(
            {
                "type": "response.create",
                "response": {
                    "conversation": "none",
                    "input": [
                        {"type": "item_reference", "id": kept},
                        user_text("classify: spam?")["item"],
                    ],
                },
            }
        )
        side = until(conn, "response.done")[-1].response
        conn.send({"type": "response.create"})
        main = until(conn, "response.done")[-1].response

    assert side.output[0].content[0].text == "ham"
    assert main.output[0].content[0].text == "hello"
    side_call, main_call = (e.json for e in server.engine.journal.entries()[-2:])
    assert side_call["messages"] == [
        {"role": "user", "content": "hello"},
        {"role": "user", "content": "classify: spam?"},
    ]
    assert main_call["messages"] == [{"role": "user", "content": "hello"}]
