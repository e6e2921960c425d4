"""``POST /v1/responses`` with ``stream: true``: the event lifecycle (RS1-RS9), as the official
client reads it and as raw bytes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from anyio.from_thread import BlockingPortal
from pydantic import BaseModel

from mockgpt import ServerConfig, create_app
from tests.responses.clients import ResponsesApi
from tests.responses.conftest import MODEL
from tests.responses.wire import assert_lifecycle, output_text, split_frames, without_ids
from tests.support import InProcess

TEXT_EVENTS = [
    "response.created",
    "response.in_progress",
    "response.output_item.added",
    "response.content_part.added",
    "response.output_text.delta",
    "response.output_text.delta",
    "response.output_text.done",
    "response.content_part.done",
    "response.output_item.done",
    "response.completed",
]


def test_stream_events_follow_the_lifecycle(rapi: ResponsesApi) -> None:
    events = rapi.events(model=MODEL, input="blue giraffe", instructions="be brief")

    assert [e.type for e in events] == TEXT_EVENTS
    assert [e.sequence_number for e in events] == list(range(len(events)))
    created, in_progress, added, part_added, *deltas, text_done, part_done, item_done, completed = (
        events
    )
    assert created.response.status == "in_progress"
    assert in_progress.response.status == "in_progress"
    assert created.response.id == in_progress.response.id == completed.response.id
    assert created.response.instructions == "be brief"
    assert added.output_index == 0
    assert added.item.type == "message"
    assert added.item.status == "in_progress"
    item_id = added.item.id
    assert part_added.item_id == item_id
    assert part_added.part.type == "output_text"
    assert part_added.part.text == ""
    assert [d.delta for d in deltas] == ["blue", " giraffe"]
    assert {(d.item_id, d.output_index, d.content_index) for d in deltas} == {(item_id, 0, 0)}
    assert text_done.text == "blue giraffe"
    assert part_done.part.text == "blue giraffe"
    assert item_done.item.id == item_id
    assert item_done.item.status == "completed"
    assert completed.response.status == "completed"
    assert completed.response.output == [item_done.item]
    assert completed.response.output_text == "blue giraffe"
    assert completed.response.usage is not None
    assert completed.response.usage.output_tokens == 2


def test_stream_helper_gives_the_final_response(rapi: ResponsesApi) -> None:
    events, final = rapi.helper(model=MODEL, input="blue giraffe")

    assert final is not None
    assert [e.type for e in events] == TEXT_EVENTS
    deltas = [e for e in events if e.type == "response.output_text.delta"]
    assert [d.snapshot for d in deltas] == ["blue", "blue giraffe"]
    assert final.output_text == "blue giraffe"
    assert final.status == "completed"
    assert final.id == events[0].response.id
    assert final.usage is not None
    assert final.usage.total_tokens == final.usage.input_tokens + 2


def test_stream_and_create_give_the_same_response(rapi: ResponsesApi) -> None:
    created = rapi.call("responses.create", model=MODEL, input="blue giraffe", instructions="x")
    [*_, completed] = rapi.events(model=MODEL, input="blue giraffe", instructions="x")

    assert completed.type == "response.completed"
    assert without_ids(completed.response.to_dict()) == without_ids(created.to_dict())


def test_stream_raw_bytes_follow_the_lifecycle(raw: Callable[..., httpx.Response]) -> None:
    sent = raw(input="blue giraffe", stream=True, metadata={"k": "v"})

    assert sent.status_code == 200
    assert sent.headers["content-type"].startswith("text/event-stream")
    frames = split_frames(sent.content)
    assert [f.name for f in frames] == TEXT_EVENTS
    final = assert_lifecycle(frames)
    assert output_text(final) == "blue giraffe"
    assert final["metadata"] == {"k": "v"}
    assert b"[DONE]" not in sent.content


@pytest.mark.parametrize(
    "respond",
    [
        {
            "content": "It is sunny.",
            "tool_calls": [{"name": "get_weather", "arguments": {"city": "Paris"}}],
        },
        {
            "tool_calls": [
                {"name": "a", "arguments": {}},
                {"name": "b", "arguments": '{"x": [1, 2]}'},
            ]
        },
        {"content": "Sure", "refusal": "but no."},
        {"content": "word by word", "chunking": {"chars": 1}},
        {"content": ""},
    ],
    ids=["text-then-call", "parallel-calls", "text-then-refusal", "one-char-deltas", "empty"],
)
def test_stream_raw_lifecycle_for_every_kind_of_answer(
    raw: Callable[..., httpx.Response], stub: Callable[..., None], respond: dict[str, Any]
) -> None:
    stub({"match": {"last_user": "go"}, "respond": respond})

    final = assert_lifecycle(split_frames(raw(input="go", stream=True).content))
    created = raw(input="go").json()

    assert without_ids(final) == without_ids(created)


def test_stream_truncated_ends_with_response_incomplete(
    raw: Callable[..., httpx.Response], rapi: ResponsesApi
) -> None:
    words = " ".join(["word"] * 20)

    frames = split_frames(raw(input=words, stream=True, max_output_tokens=16).content)
    events, final = rapi.helper(model=MODEL, input=words, max_output_tokens=16)

    body = assert_lifecycle(frames)
    assert frames[-1].name == "response.incomplete"
    assert body["incomplete_details"] == {"reason": "max_output_tokens"}
    assert body["output"][0]["status"] == "incomplete"
    assert body["usage"]["output_tokens"] == 16
    # the client yields response.incomplete and has no completed response to give
    assert events[-1].type == "response.incomplete"
    assert events[-1].response.incomplete_details.reason == "max_output_tokens"
    assert final is None


def test_stream_helper_parses_structured_output(rapi: ResponsesApi) -> None:
    class Pet(BaseModel):
        name: str
        legs: int

    _, final = rapi.helper(model=MODEL, input="a pet", text_format=Pet)

    assert final is not None
    assert isinstance(final.output_parsed, Pet)
    assert final.output_parsed == Pet.model_validate_json(final.output_text)
    assert final.text.format.type == "json_schema"


def test_stream_paced_response_is_stored_when_completed_arrives(
    rapi: ResponsesApi, stub: Callable[..., None]
) -> None:
    """A paced stream (sent event by event) is retrievable once ``response.completed`` is read."""
    stub(
        {
            "match": {"last_user": "slow"},
            "respond": {"content": "one two three"},
            "pacing": {"tokens_per_second": 10000},
        }
    )

    events = rapi.events(model=MODEL, input="slow")
    stored = rapi.call("responses.retrieve", events[-1].response.id)

    assert events[-1].type == "response.completed"
    assert stored.output_text == "one two three"


@pytest.fixture(scope="module")
def paced_app(portal: BlockingPortal) -> Iterator[InProcess]:
    client = InProcess(portal, create_app(ServerConfig(port=0, ttft_ms=1)))
    yield client
    client.close()


def test_stream_paced_in_process_bytes_equal_the_unpaced(
    paced_app: InProcess, asgi: InProcess
) -> None:
    """Pacing (event by event) sends the same events as the one-write body."""
    body = {"model": MODEL, "input": "blue giraffe", "stream": True}

    paced = assert_lifecycle(split_frames(paced_app.post("/v1/responses", body).content))
    unpaced = assert_lifecycle(split_frames(asgi.post("/v1/responses", body).content))

    assert without_ids(paced) == without_ids(unpaced)
