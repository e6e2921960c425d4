"""Raw frames with the ``websockets`` client: one JSON text message per event, a message that
is not JSON, the handshake's refusals, the API key, faults that close the connection, and a
client that leaves mid-response (nothing is left running)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import openai
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from mockgpt import ServerConfig
from mockgpt.server import MockServer
from tests.realtime.conftest import MODEL, TIMEOUT_S, user_text

RawSocket = Callable[..., Any]


def recv_json(ws: Any) -> dict[str, Any]:
    message = ws.recv(timeout=TIMEOUT_S)
    assert isinstance(message, str)  # a text frame
    event = json.loads(message)
    assert isinstance(event, dict)
    return event


def until(ws: Any, kind: str) -> list[dict[str, Any]]:
    events = []
    while not events or events[-1]["type"] != kind:
        events.append(recv_json(ws))
    return events


def _read_until_closed(ws: Any, events: list[dict[str, Any]]) -> None:
    while True:
        events.append(recv_json(ws))


def test_each_event_is_one_compact_json_text_frame(raw_socket: RawSocket) -> None:
    with raw_socket() as ws:
        first = ws.recv(timeout=TIMEOUT_S)
        ws.send(json.dumps(user_text("hi")))
        added = ws.recv(timeout=TIMEOUT_S)

    assert isinstance(first, str)
    assert first.startswith('{"type":"session.created","event_id":"event_')
    assert "\n" not in first
    session = json.loads(first)["session"]
    assert (session["type"], session["object"], session["model"]) == (
        "realtime",
        "realtime.session",
        MODEL,
    )
    assert json.loads(added)["type"] == "conversation.item.added"


@pytest.mark.parametrize(
    ("message", "code"),
    [("not json", "invalid_json"), ("[1, 2]", "invalid_json"), ('{"type": 3}', "invalid_json")],
)
def test_a_message_that_is_no_event_gets_an_error_event(
    raw_socket: RawSocket, message: str, code: str
) -> None:
    with raw_socket() as ws:
        recv_json(ws)
        ws.send(message)
        error = recv_json(ws)
        ws.send(json.dumps({"type": "input_audio_buffer.clear"}))
        cleared = recv_json(ws)

    assert error["type"] == "error"
    assert error["error"]["code"] == code
    assert error["error"]["type"] == "invalid_request_error"
    assert cleared["type"] == "input_audio_buffer.cleared"


def test_committed_audio_becomes_a_user_item(raw_socket: RawSocket) -> None:
    with raw_socket() as ws:
        recv_json(ws)
        ws.send(json.dumps({"type": "input_audio_buffer.commit"}))
        empty = recv_json(ws)
        ws.send(json.dumps({"type": "input_audio_buffer.append", "audio": "not base64!"}))
        not_audio = recv_json(ws)
        ws.send(json.dumps({"type": "input_audio_buffer.append", "audio": "AAAAAA=="}))
        ws.send(json.dumps({"type": "input_audio_buffer.commit"}))
        committed, added, done = recv_json(ws), recv_json(ws), recv_json(ws)

    assert empty["error"]["code"] == "input_audio_buffer_commit_empty"
    assert not_audio["error"]["param"] == "audio"
    assert committed["type"] == "input_audio_buffer.committed"
    assert (added["type"], done["type"]) == ("conversation.item.added", "conversation.item.done")
    assert added["item"]["id"] == committed["item_id"]
    assert added["item"]["role"] == "user"
    assert added["item"]["content"] == [{"type": "input_audio", "transcript": None}]


def test_an_unknown_websocket_path_is_refused_with_a_404_envelope(raw_socket: RawSocket) -> None:
    with pytest.raises(InvalidStatus) as caught:
        raw_socket("/v1/nowhere")

    response = caught.value.response
    assert response.status_code == 404
    assert json.loads(response.body)["error"]["type"] == "invalid_request_error"


def test_a_foreign_origin_is_refused(raw_socket: RawSocket) -> None:
    with pytest.raises(InvalidStatus) as caught:
        raw_socket(origin="https://evil.example")

    assert caught.value.response.status_code == 403


@pytest.fixture(scope="module")
def keyed_server() -> Any:
    with MockServer(ServerConfig(port=0, api_key="sk-right")) as server:
        yield server


def test_a_wrong_key_gets_an_error_event_then_the_close(keyed_server: MockServer) -> None:
    client = openai.OpenAI(base_url=keyed_server.base_url, api_key="sk-wrong")
    with client.realtime.connect(model=MODEL) as conn:
        error = conn.recv()
        with pytest.raises(ConnectionClosed) as closed:
            conn.recv()

    assert error.type == "error"
    assert error.error.code == "invalid_api_key"
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1008


def test_the_right_key_opens_the_session(keyed_server: MockServer) -> None:
    client = openai.OpenAI(base_url=keyed_server.base_url, api_key="sk-right")
    with client.realtime.connect(model=MODEL) as conn:
        assert conn.recv().type == "session.created"


@pytest.mark.parametrize(
    ("fault", "seen"),
    [({"reset": True}, 0), ({"drop_after_chunks": 3}, 4)],
)
def test_reset_and_drop_faults_close_the_connection(
    raw_socket: RawSocket, stub: Callable[..., None], fault: dict[str, Any], seen: int
) -> None:
    stub({"respond": {"content": "one two three four"}, "fault": fault})

    with raw_socket() as ws:
        recv_json(ws)
        ws.send(json.dumps({"type": "response.create"}))
        events: list[dict[str, Any]] = []
        with pytest.raises(ConnectionClosed) as closed:
            _read_until_closed(ws, events)

    assert len(events) == seen  # response.created, then 3 events of the answer
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1011


def test_disconnect_mid_response_leaves_nothing_running(
    raw_socket: RawSocket, stub: Callable[..., None], server: MockServer
) -> None:
    stub({"respond": {"content": "word " * 2000}, "pacing": {"tokens_per_second": 20}})

    with raw_socket() as ws:
        recv_json(ws)
        ws.send(json.dumps({**user_text("go"), "type": "conversation.item.create"}))
        ws.send(
            json.dumps({"type": "response.create", "response": {"output_modalities": ["text"]}})
        )
        until(ws, "response.output_text.delta")
        assert server.app.in_flight.count == 1  # the response is under way

    assert server.wait_idle(TIMEOUT_S)
    assert server.app.in_flight.count == 0
    entry = server.engine.journal.entries()[-1]
    assert entry.path == "/v1/realtime"
    assert entry.disconnected
    assert not entry.complete
    assert server.engine.errors == []


def test_an_unknown_model_on_a_fixed_list_gets_an_error_then_the_close() -> None:
    config = ServerConfig(port=0, strict_models=True, models=("gpt-realtime",))
    with MockServer(config) as server:
        client = openai.OpenAI(base_url=server.base_url, api_key="x")
        with client.realtime.connect(model="gpt-imaginary") as conn:
            error = conn.recv()
            with pytest.raises(ConnectionClosed) as closed:
                conn.recv()
        with client.realtime.connect(model="gpt-realtime") as conn:
            created = conn.recv()

    assert error.error.code == "model_not_found"
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1008
    assert created.type == "session.created"
