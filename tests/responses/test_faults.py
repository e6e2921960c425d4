"""Faults on the Responses API reach the official client as it expects (notes §2.5, RS7):
an error event mid-stream is yielded, a dropped connection raises ``APIConnectionError``, an
error answer raises the HTTP status's error class.

openai 2.x differs from 3.x in two ways these tests allow for: a stream cut after its headers
raises the HTTP library's ``RemoteProtocolError`` unwrapped, and an error's ``message`` is
``Error code: <status> - <the whole body>`` rather than ``- <error.message>``.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable

import httpx
import openai
import pytest
from openai.types.responses import ResponseErrorEvent

from mockgpt.server import http_library
from tests.responses.clients import ResponsesApi
from tests.responses.conftest import MODEL
from tests.responses.wire import split_frames

TEXT = "one two three four five"
ERROR_AFTER_4 = {
    "match": {"last_user": "boom"},
    "respond": {"content": TEXT},
    "fault": {
        "error_after_chunks": 4,
        "error_event": {"status": 500, "message": "the model exploded", "code": "server_error"},
    },
}
STREAM_CUT = (openai.APIConnectionError, http_library().RemoteProtocolError)
"""What iterating a stream whose connection drops raises (openai 3.x wraps it, 2.x does not)."""


DROP_AFTER_5 = {
    "match": {"last_user": "drop"},
    "respond": {"content": TEXT},
    "fault": {"drop_after_chunks": 5},
}


def test_faults_error_event_is_yielded_not_raised(
    rapi: ResponsesApi, stub: Callable[..., None]
) -> None:
    stub(ERROR_AFTER_4)

    events = rapi.events(model=MODEL, input="boom")

    assert [e.type for e in events] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        "error",
    ]
    error = events[-1]
    assert isinstance(error, ResponseErrorEvent)
    assert error.code == "server_error"
    assert error.message == "the model exploded"
    assert error.param is None
    assert [e.sequence_number for e in events] == [0, 1, 2, 3, 4]


def test_faults_error_event_through_the_helper(
    rapi: ResponsesApi, stub: Callable[..., None]
) -> None:
    stub(ERROR_AFTER_4)

    events, final = rapi.helper(model=MODEL, input="boom")

    assert events[-1].type == "error"
    assert events[-1].message == "the model exploded"
    assert events[-1].sequence_number == events[-2].sequence_number + 1
    assert final is None  # no response.completed: get_final_response() would raise


def test_faults_error_event_helper_final_response_raises(
    client: openai.OpenAI, stub: Callable[..., None]
) -> None:
    stub(ERROR_AFTER_4)

    with (
        client.responses.stream(model=MODEL, input="boom") as stream,
        pytest.raises(RuntimeError, match=r"response\.completed"),
    ):
        stream.get_final_response()


def test_faults_error_event_raw_bytes(
    raw: Callable[..., httpx.Response], stub: Callable[..., None]
) -> None:
    """The error event is ``ResponseErrorEvent`` with top-level fields, named ``error``."""
    stub(ERROR_AFTER_4)

    frames = split_frames(raw(input="boom", stream=True).content)

    assert [f.data["sequence_number"] for f in frames] == list(range(5))
    last = frames[-1]
    assert last.name == "error"
    assert last.data == {
        "type": "error",
        "code": "server_error",
        "message": "the model exploded",
        "param": None,
        "sequence_number": 4,
    }
    assert "error" not in {k for f in frames for k in f.data if k != "type"}


def test_faults_error_event_defaults_to_a_server_error(
    raw: Callable[..., httpx.Response], stub: Callable[..., None]
) -> None:
    stub(
        {
            "match": {"last_user": "boom"},
            "respond": {"content": TEXT},
            "fault": {"error_after_chunks": 7},
        }
    )

    frames = split_frames(raw(input="boom", stream=True).content)

    assert frames[-1].name == "error"
    assert frames[-1].data["sequence_number"] == 7
    assert frames[-1].data["code"] == "server_error"
    assert frames[-1].data["message"]


def test_faults_error_ends_the_stream_without_storing_it(
    rapi: ResponsesApi, stub: Callable[..., None]
) -> None:
    stub(ERROR_AFTER_4)

    events = rapi.events(model=MODEL, input="boom")

    with pytest.raises(openai.NotFoundError):
        rapi.call("responses.retrieve", events[0].response.id)


def test_faults_error_after_chunks_not_streamed_is_an_http_error(
    rapi: ResponsesApi, stub: Callable[..., None]
) -> None:
    stub(ERROR_AFTER_4)

    with pytest.raises(openai.InternalServerError) as caught:
        rapi.call("responses.create", model=MODEL, input="boom")

    assert caught.value.status_code == 500
    assert caught.value.message.startswith("Error code: 500 - ")
    assert "the model exploded" in caught.value.message


@pytest.mark.parametrize("helper", [False, True], ids=["create", "stream-helper"])
def test_faults_drop_mid_stream_raises_connection_error(
    rapi: ResponsesApi, stub: Callable[..., None], helper: bool
) -> None:
    stub(DROP_AFTER_5)

    read = rapi.helper if helper else rapi.events

    with pytest.raises(STREAM_CUT):
        read(model=MODEL, input="drop")


def test_faults_drop_not_streamed_raises_connection_error(
    rapi: ResponsesApi, stub: Callable[..., None]
) -> None:
    stub(DROP_AFTER_5)

    with pytest.raises(openai.APIConnectionError):
        rapi.call("responses.create", model=MODEL, input="drop")


def test_faults_reset_raises_connection_error(
    rapi: ResponsesApi, stub: Callable[..., None]
) -> None:
    stub({"match": {"last_user": "reset"}, "fault": {"reset": True}})

    with pytest.raises(openai.APIConnectionError):
        rapi.call("responses.create", model=MODEL, input="reset")
    with pytest.raises(STREAM_CUT):
        rapi.events(model=MODEL, input="reset")


def test_faults_malformed_not_streamed_is_not_a_response(
    http: httpx.Client, stub: Callable[..., None]
) -> None:
    stub(
        {
            "match": {"last_user": "cut"},
            "respond": {"content": TEXT},
            "fault": {"malformed_after_chunks": 2},
        }
    )

    sent = http.post("/v1/responses", json={"model": MODEL, "input": "cut"})

    assert sent.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(sent.content)


@pytest.mark.parametrize(
    ("status", "error_class"),
    [
        (400, openai.BadRequestError),
        (401, openai.AuthenticationError),
        (404, openai.NotFoundError),
        (429, openai.RateLimitError),
        (500, openai.InternalServerError),
        (503, openai.InternalServerError),
    ],
    ids=["400", "401", "404", "429", "500", "503"],
)
@pytest.mark.parametrize("stream", [False, True], ids=["create", "stream"])
def test_faults_error_answer_raises_its_status_class(
    rapi: ResponsesApi,
    stub: Callable[..., None],
    status: int,
    error_class: type[openai.APIStatusError],
    stream: bool,
) -> None:
    stub(
        {
            "match": {"endpoint": "responses"},
            "respond": {"error": {"status": status, "message": "scripted", "param": "input"}},
        }
    )

    send = rapi.events if stream else functools.partial(rapi.call, "responses.create")

    with pytest.raises(error_class) as caught:
        send(model=MODEL, input="hi")

    assert caught.value.status_code == status
    assert caught.value.param == "input"
    assert caught.value.message.startswith(f"Error code: {status} - ")
    assert "scripted" in caught.value.message


def test_faults_http_error_fault_with_retry_after(
    client: openai.OpenAI, stub: Callable[..., None]
) -> None:
    stub(
        {
            "match": {"endpoint": "responses"},
            "fault": {"http_error": {"status": 429, "retry_after": 1, "should_retry": False}},
        }
    )

    with pytest.raises(openai.RateLimitError) as caught:
        client.responses.create(model=MODEL, input="hi")

    assert caught.value.code == "rate_limit_exceeded"
    assert caught.value.response.headers["retry-after"] == "1"
