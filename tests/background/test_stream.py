"""Streamed background responses: ``response.queued`` first, and resumption with
``starting_after`` (raw SSE bytes and the official client's parse)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import openai
import pytest

from mockgpt.server import http_library
from tests.background.conftest import MODEL
from tests.responses.clients import AsyncResponses, ResponsesApi, SyncResponses
from tests.responses.wire import split_frames

TEXT = "one two three four five"
STREAM_CUT = (openai.APIConnectionError, http_library().RemoteProtocolError)
"""What iterating a stream whose connection drops raises (openai 3.x wraps it, 2.x does not)."""
DROP_AFTER_5 = {
    "match": {"last_user": "drop"},
    "respond": {"content": TEXT},
    "fault": {"drop_after_chunks": 5},
}


def _read_until_cut(bapi: ResponsesApi, **kwargs: Any) -> list[Any]:
    """The events of ``responses.create(stream=True, ...)`` read until the stream breaks."""
    events: list[Any] = []
    if isinstance(bapi, SyncResponses):
        with (
            pytest.raises(STREAM_CUT),
            bapi.client.responses.create(stream=True, **kwargs) as stream,
        ):
            events.extend(stream)
        return events
    assert isinstance(bapi, AsyncResponses)

    async def read() -> None:
        stream = await bapi.client.responses.create(stream=True, **kwargs)
        async with stream:
            async for event in stream:
                events.append(event)

    with pytest.raises(STREAM_CUT):
        bapi.portal.call(read)
    return events


def _replay(bapi: ResponsesApi, response_id: str, starting_after: int) -> list[Any]:
    """``responses.retrieve(id, stream=True, starting_after=N)``, read to its end."""
    if isinstance(bapi, SyncResponses):
        with bapi.client.responses.retrieve(
            response_id, stream=True, starting_after=starting_after
        ) as stream:
            return list(stream)
    assert isinstance(bapi, AsyncResponses)

    async def read() -> list[Any]:
        stream = await bapi.client.responses.retrieve(
            response_id, stream=True, starting_after=starting_after
        )
        async with stream:
            return [event async for event in stream]

    return bapi.portal.call(read)


def test_background_stream_opens_queued(http: httpx.Client) -> None:
    body = {"model": MODEL, "input": TEXT, "background": True, "stream": True}

    answer = http.post("/v1/responses", json=body)

    frames = split_frames(answer.content)
    assert answer.headers["content-type"].startswith("text/event-stream")
    assert [f.name for f in frames[:3]] == [
        "response.created",
        "response.queued",
        "response.in_progress",
    ]
    assert [f.data["response"]["status"] for f in frames[:3]] == [
        "queued",
        "queued",
        "in_progress",
    ]
    assert [f.data["sequence_number"] for f in frames] == list(range(len(frames)))
    assert frames[-1].name == "response.completed"
    assert frames[-1].data["response"]["background"] is True


def test_background_stream_through_the_client(bapi: ResponsesApi) -> None:
    events = bapi.events(model=MODEL, input=TEXT, background=True)

    kinds = [e.type for e in events]
    assert kinds[:3] == ["response.created", "response.queued", "response.in_progress"]
    assert kinds[-1] == "response.completed"
    assert events[-1].response.output_text == TEXT
    polled = bapi.call("responses.retrieve", events[0].response.id)
    assert polled.status == "completed"
    assert polled.output_text == TEXT


def test_background_stream_resumes_raw_after_n(http: httpx.Client) -> None:
    body = {"model": MODEL, "input": TEXT, "background": True, "stream": True}
    every = split_frames(http.post("/v1/responses", json=body).content)
    response_id = every[0].data["response"]["id"]

    later = http.get(f"/v1/responses/{response_id}", params={"stream": "true", "starting_after": 4})

    assert later.headers["content-type"].startswith("text/event-stream")
    assert split_frames(later.content) == every[5:]


def test_background_stream_cut_then_resumed_by_the_client(
    bapi: ResponsesApi, stub: Callable[..., None]
) -> None:
    stub(DROP_AFTER_5)

    before = _read_until_cut(bapi, model=MODEL, input="drop", background=True)
    last = before[-1].sequence_number
    rest = _replay(bapi, before[0].response.id, last)

    assert len(before) == 5
    assert [e.sequence_number for e in before + rest] == list(range(len(before) + len(rest)))
    assert rest[-1].type == "response.completed"
    text = "".join(e.delta for e in before + rest if e.type == "response.output_text.delta")
    assert text == TEXT


def test_background_stream_resumed_by_the_stream_helper(
    strict_client: openai.OpenAI, stub: Callable[..., None]
) -> None:
    stub(DROP_AFTER_5)
    before = _read_until_cut(
        SyncResponses(strict_client), model=MODEL, input="drop", background=True
    )

    with strict_client.responses.stream(
        response_id=before[0].response.id, starting_after=before[-1].sequence_number
    ) as stream:
        rest = list(stream)
        final = stream.get_final_response()

    assert rest[0].sequence_number == before[-1].sequence_number + 1
    assert final.output_text == TEXT
    assert final.status == "completed"
