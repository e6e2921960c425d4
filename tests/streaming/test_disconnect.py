"""A client that goes away mid-stream: the server stops and the journal says so."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from mockgpt import JournalEntry, ServerConfig
from mockgpt.server import MockServer

SLOW_ANSWER = " ".join(f"word{i}" for i in range(40))  # 80 tokens: 16 s at 5 tokens/s


@pytest.fixture(scope="module")
def paced_server() -> Iterator[MockServer]:
    with MockServer(ServerConfig(port=0, tokens_per_second=5)) as server:
        yield server


def _wait_for_entry(server: MockServer, request_id: str, timeout_s: float = 10.0) -> JournalEntry:
    """Poll the journal until the request's entry is finished (its duration is set when the
    response ends or the server stops serving it)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for entry in server.engine.journal.entries():
            if entry.request_id == request_id and entry.duration_ms > 0:
                return entry
        time.sleep(0.01)
    raise AssertionError(f"no journal entry for {request_id} within {timeout_s} s")


@pytest.mark.parametrize(
    "path", ["/v1/chat/completions", "/v1/completions"], ids=["chat", "completions"]
)
def test_disconnect_mid_stream_is_journalled(paced_server: MockServer, path: str) -> None:
    body: dict[str, object] = {"model": "gpt-4o-mini", "stream": True}
    if path == "/v1/completions":
        body |= {"prompt": SLOW_ANSWER, "max_tokens": 1000}
    else:
        body |= {"messages": [{"role": "user", "content": SLOW_ANSWER}]}

    # Leaving the block closes the half-read response and, with the client, its connection.
    with (
        httpx.Client(base_url=paced_server.url, timeout=30) as http,
        http.stream("POST", path, json=body) as response,
    ):
        request_id = response.headers["x-request-id"]
        received = b""
        for data in response.iter_raw():
            received += data
            if b"\n\n" in received:
                break

    entry = _wait_for_entry(paced_server, request_id)
    assert entry.status == 200
    assert entry.stream
    assert entry.disconnected
    assert not entry.complete
    assert entry.response_body.startswith(received.split(b"\n\n")[0] + b"\n\n")
    assert b"[DONE]" not in entry.response_body
    assert paced_server.engine.errors == []


def test_disconnect_server_keeps_serving(paced_server: MockServer) -> None:
    with httpx.Client(base_url=paced_server.url, timeout=30) as http:
        response = http.post(
            "/v1/chat/completions",
            json={"model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": True},
        )

    assert response.status_code == 200
    assert response.content.endswith(b"data: [DONE]\n\n")
