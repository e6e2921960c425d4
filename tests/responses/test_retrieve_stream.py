"""``GET /v1/responses/{id}?stream=true``: a stored response's events, sent again."""

from __future__ import annotations

import httpx
import openai

from tests.responses.conftest import MODEL
from tests.responses.wire import split_frames


def test_retrieve_stream_replays_the_events_of_a_streamed_response(
    strict_client: openai.OpenAI,
) -> None:
    live = [
        event.model_dump()
        for event in strict_client.responses.create(model=MODEL, input="one two three", stream=True)
    ]

    replayed = [
        event.model_dump()
        for event in strict_client.responses.retrieve(live[0]["response"]["id"], stream=True)
    ]

    assert replayed == live
    assert replayed[-1]["type"] == "response.completed"


def test_retrieve_stream_of_a_non_streamed_response_ends_with_it(
    strict_client: openai.OpenAI,
) -> None:
    created = strict_client.responses.create(model=MODEL, input="one two three")

    events = list(strict_client.responses.retrieve(created.id, stream=True))

    assert events[0].type == "response.created"
    assert [e.sequence_number for e in events] == list(range(len(events)))
    assert events[-1].type == "response.completed"
    assert events[-1].response == created
    assert "".join(e.delta for e in events if e.type == "response.output_text.delta") == (
        created.output_text
    )


def test_retrieve_stream_starting_after_sends_only_later_events(
    strict_client: openai.OpenAI, http: httpx.Client
) -> None:
    created = strict_client.responses.create(model=MODEL, input="one two three")
    every = list(strict_client.responses.retrieve(created.id, stream=True))

    later = list(strict_client.responses.retrieve(created.id, stream=True, starting_after=2))
    raw = http.get(f"/v1/responses/{created.id}", params={"stream": "true", "starting_after": 2})

    assert [e.model_dump() for e in later] == [e.model_dump() for e in every[3:]]
    assert raw.headers["content-type"].startswith("text/event-stream")
    assert [f.name for f in split_frames(raw.content)] == [e.type for e in every[3:]]


def test_retrieve_stream_bad_starting_after_is_a_400(
    strict_client: openai.OpenAI, http: httpx.Client
) -> None:
    created = strict_client.responses.create(model=MODEL, input="hi")

    answer = http.get(
        f"/v1/responses/{created.id}", params={"stream": "true", "starting_after": "x"}
    )

    assert answer.status_code == 400
    assert answer.json()["error"]["param"] == "starting_after"
