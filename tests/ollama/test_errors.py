"""Errors in Ollama's shape, ``{"error": "message"}``: bad input, scripted errors, faults."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from anyio.from_thread import BlockingPortal

from mockgpt import ServerConfig, create_app
from tests.ollama.conftest import Wire, split_ndjson
from tests.support import InProcess

USER = [{"role": "user", "content": "one two three four"}]


def assert_ollama_error(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"}, body
    assert isinstance(body["error"], str)
    assert body["error"]
    message: str = body["error"]
    return message


BAD_BODIES: dict[str, tuple[str, Any]] = {
    "not-an-object": ("/api/chat", [1, 2]),
    "no-model": ("/api/chat", {"messages": USER}),
    "empty-model": ("/api/generate", {"model": "", "prompt": "hi"}),
    "model-not-a-string": ("/api/chat", {"model": 3, "messages": USER}),
    "messages-not-a-list": ("/api/chat", {"model": "llama3", "messages": "hi"}),
    "content-not-a-string": (
        "/api/chat",
        {"model": "llama3", "messages": [{"role": "user", "content": 5}]},
    ),
    "no-role": ("/api/chat", {"model": "llama3", "messages": [{"content": "hi"}]}),
    "unknown-role": (
        "/api/chat",
        {"model": "llama3", "messages": [{"role": "robot", "content": "hi"}]},
    ),
    "tool-call-without-name": (
        "/api/chat",
        {"model": "llama3", "messages": [{"role": "assistant", "tool_calls": [{"function": {}}]}]},
    ),
    "bad-tool": (
        "/api/chat",
        {"model": "llama3", "messages": USER, "tools": [{"type": "function"}]},
    ),
    "stream-not-a-bool": ("/api/chat", {"model": "llama3", "messages": USER, "stream": "yes"}),
    "format-yaml": ("/api/chat", {"model": "llama3", "messages": USER, "format": "yaml"}),
    "format-a-number": ("/api/generate", {"model": "llama3", "prompt": "hi", "format": 1}),
    "options-not-an-object": ("/api/generate", {"model": "llama3", "prompt": "hi", "options": 1}),
    "num_predict-a-string": (
        "/api/generate",
        {"model": "llama3", "prompt": "hi", "options": {"num_predict": "3"}},
    ),
    "stop-a-number": ("/api/generate", {"model": "llama3", "prompt": "hi", "options": {"stop": 1}}),
    "keep_alive-bad": ("/api/generate", {"model": "llama3", "prompt": "hi", "keep_alive": "soon"}),
    "prompt-not-a-string": ("/api/generate", {"model": "llama3", "prompt": ["hi"]}),
    "context-not-ints": ("/api/generate", {"model": "llama3", "prompt": "hi", "context": ["a"]}),
}


@pytest.mark.parametrize("case", list(BAD_BODIES))
def test_bad_input_is_400_with_an_ollama_error(wire: Wire, case: str) -> None:
    path, body = BAD_BODIES[case]

    assert_ollama_error(wire.post(path, body), 400)


@pytest.mark.parametrize(
    "content", [b"", b"{not json", b"\xff\xfe"], ids=["empty", "broken", "binary"]
)
@pytest.mark.parametrize("path", ["/api/chat", "/api/generate", "/api/show"])
def test_body_that_is_not_json_is_400(wire: Wire, path: str, content: bytes) -> None:
    assert_ollama_error(wire.post(path, content=content), 400)


def test_missing_model_names_the_field(wire: Wire) -> None:
    message = assert_ollama_error(wire.post("/api/chat", {"messages": USER}), 400)

    assert message == "model is required"


def test_invalid_format_says_what_is_accepted(wire: Wire) -> None:
    body = {"model": "llama3", "messages": USER, "format": "yaml"}

    assert "json" in assert_ollama_error(wire.post("/api/chat", body), 400)


@pytest.fixture(scope="module")
def strict(portal: BlockingPortal) -> Iterator[InProcess]:
    client = InProcess(
        portal, create_app(ServerConfig(port=0, models=("llama3",), strict_models=True))
    )
    yield client
    client.close()


@pytest.mark.parametrize(
    "path", ["/api/chat", "/api/generate", "/api/show", "/api/embed", "/api/embeddings"]
)
def test_unknown_model_in_a_fixed_list_is_404(strict: InProcess, path: str) -> None:
    body = {"model": "mistral", "messages": USER, "prompt": "hi", "input": "hi"}

    assert assert_ollama_error(strict.post(path, body), 404) == "model 'mistral' not found"
    assert strict.post(path, {**body, "model": "llama3:latest", "stream": False}).status_code == 200


def test_scripted_error_has_its_status_message_and_headers(wire: Wire) -> None:
    wire.stub(
        {
            "match": {"endpoint": "ollama"},
            "respond": {"error": {"status": 429, "message": "slow down", "retry_after": 2}},
        }
    )

    response = wire.post("/api/chat", {"model": "llama3", "messages": USER})

    assert assert_ollama_error(response, 429) == "slow down"
    assert response.headers["retry-after"] == "2"


def test_http_error_fault_without_message_gets_a_default_one(wire: Wire) -> None:
    wire.stub({"fault": {"http_error": {"status": 503}}})

    response = wire.post("/api/generate", {"model": "llama3", "prompt": "hi"})

    assert assert_ollama_error(response, 503)


def test_error_after_chunks_ends_the_stream_with_an_error_line(socket_wire: Wire) -> None:
    socket_wire.stub(
        {
            "respond": {"content": "one two three four"},
            "fault": {"error_after_chunks": 2, "error_event": {"status": 500, "message": "boom"}},
        }
    )

    response = socket_wire.post("/api/chat", {"model": "llama3", "messages": USER})

    lines = response.content.splitlines()
    assert response.status_code == 200
    assert [json.loads(line)["message"]["content"] for line in lines[:2]] == ["one", " two"]
    assert json.loads(lines[2]) == {"error": "boom"}
    assert len(lines) == 3


def test_error_after_chunks_without_stream_is_an_http_error(wire: Wire) -> None:
    wire.stub({"respond": {"content": "hi"}, "fault": {"error_after_chunks": 1}})

    response = wire.post("/api/chat", {"model": "llama3", "messages": USER, "stream": False})

    assert_ollama_error(response, 500)


def test_malformed_after_chunks_sends_a_cut_line(socket_wire: Wire) -> None:
    socket_wire.stub({"fault": {"malformed_after_chunks": 1}})

    response = socket_wire.post("/api/generate", {"model": "llama3", "prompt": "one two three"})

    first, cut = response.content.split(b"\n")[:2]
    assert json.loads(first)["response"] == "one"
    with pytest.raises(json.JSONDecodeError):
        json.loads(cut)
    assert response.content.endswith(b"\n")


def test_drop_after_chunks_closes_the_connection(
    socket_wire: Wire, ollama_http: httpx.Client
) -> None:
    socket_wire.stub({"fault": {"drop_after_chunks": 2}})
    received: list[str] = []
    body = {"model": "llama3", "messages": USER}

    with (
        pytest.raises(httpx.RemoteProtocolError),
        ollama_http.stream("POST", "/api/chat", json=body) as response,
    ):
        received.extend(response.iter_lines())

    assert [json.loads(line)["message"]["content"] for line in received] == ["one", " two"]


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "single"])
def test_reset_drops_the_connection(socket_wire: Wire, stream: bool) -> None:
    socket_wire.stub({"fault": {"reset": True}})

    with pytest.raises(httpx.RemoteProtocolError):
        socket_wire.post("/api/chat", {"model": "llama3", "messages": USER, "stream": stream})


def test_stall_then_the_rest_of_the_stream(socket_wire: Wire) -> None:
    socket_wire.stub({"fault": {"stall_after_chunks": 1, "stall_ms": 20}})

    objects = split_ndjson(socket_wire.post("/api/chat", {"model": "llama3", "messages": USER}))

    assert "".join(o["message"]["content"] for o in objects) == "one two three four"


def test_paced_stream_counts_the_time_to_first_token(socket_wire: Wire) -> None:
    socket_wire.stub({"respond": {"content": "one two"}, "pacing": {"ttft_ms": 40}})

    final = split_ndjson(socket_wire.post("/api/chat", {"model": "llama3", "messages": USER}))[-1]

    assert final["total_duration"] >= 30_000_000  # ns: the 40 ms before the first line


def test_paced_stream_sends_the_same_lines(socket_wire: Wire) -> None:
    socket_wire.stub({"respond": {"content": "a b c"}, "pacing": {"tokens_per_second": 1000}})

    objects = split_ndjson(
        socket_wire.post("/api/generate", {"model": "llama3", "prompt": "a b c"})
    )

    assert [o["response"] for o in objects] == ["a", " b", " c", ""]


def test_body_over_the_size_limit_is_413(make_asgi: Any) -> None:
    small = make_asgi(max_body_bytes=64)

    response = small.post("/api/chat", {"model": "llama3", "messages": USER * 10})

    assert "limit" in assert_ollama_error(response, 413)


def test_no_stub_matched_with_fallback_error_is_404(wire: Wire) -> None:
    wire.stub({"match": {"model": "gpt-*"}, "respond": {"content": "x"}}, fallback="error")

    response = wire.post("/api/generate", {"model": "llama3", "prompt": "hi"})

    assert "No stub matched" in assert_ollama_error(response, 404)


def test_exhausted_sequence_is_an_ollama_error(wire: Wire) -> None:
    wire.stub({"sequence": [{"content": "only once"}], "on_exhausted": "fail"})
    body = {"model": "llama3", "prompt": "hi", "stream": False}

    assert wire.post("/api/generate", body).json()["response"] == "only once"
    assert "exhausted" in assert_ollama_error(wire.post("/api/generate", body), 500)


def test_delay_then_the_answer(wire: Wire) -> None:
    wire.stub({"respond": {"content": "late"}, "fault": {"delay_ms": 5}})

    body = {"model": "llama3", "prompt": "hi", "stream": False}

    assert wire.post("/api/generate", body).json()["response"] == "late"


def test_drop_without_stream_sends_half_a_body(socket_wire: Wire) -> None:
    socket_wire.stub({"fault": {"drop_after_chunks": 1}})

    with pytest.raises(httpx.RemoteProtocolError):
        socket_wire.post("/api/chat", {"model": "llama3", "messages": USER, "stream": False})


def test_malformed_without_stream_cuts_the_body(wire: Wire) -> None:
    wire.stub({"fault": {"malformed_after_chunks": 1}})

    response = wire.post("/api/chat", {"model": "llama3", "messages": USER, "stream": False})

    assert response.status_code == 200
    assert response.content.startswith(b'{"model":"llama3"')
    with pytest.raises(json.JSONDecodeError):
        response.json()


def test_stall_without_stream_then_the_answer(wire: Wire) -> None:
    wire.stub({"fault": {"stall_after_chunks": 0, "stall_ms": 5}})

    response = wire.post("/api/chat", {"model": "llama3", "messages": USER, "stream": False})

    assert response.json()["message"]["content"] == "one two three four"


def test_empty_format_is_plain_text(wire: Wire) -> None:
    body = {"model": "llama3", "messages": USER, "format": "", "stream": False}

    assert wire.post("/api/chat", body).json()["message"]["content"] == "one two three four"
