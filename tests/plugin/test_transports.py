"""Socket and in-process transports: the same answers, faults that fail alike, shared clients."""

from __future__ import annotations

import openai
import pytest

from mockgpt.server import IN_PROCESS_HOST, MockServer, http_library
from mockgpt.testing import MockGPT

MODEL = "gpt-4o-mini"
USER = [{"role": "user", "content": "one two three four five"}]

both_transports = pytest.mark.parametrize("mockgpt", ["socket", "asgi"], indirect=True)
echo = pytest.mark.mockgpt(fallback="echo")
"""For the tests that read echoed answers without stubs."""


@both_transports
@echo
def test_transport_same_answer_and_base_url(mockgpt: MockGPT) -> None:
    answer = mockgpt.client().chat.completions.create(model=MODEL, messages=USER)

    assert answer.choices[0].message.content == "one two three four five"
    if mockgpt.transport == "asgi":
        assert mockgpt.base_url == f"http://{IN_PROCESS_HOST}/v1"
    else:
        assert mockgpt.base_url == mockgpt.server.base_url


@both_transports
def test_transport_dropped_stream_fails_after_the_chunks_sent(mockgpt: MockGPT) -> None:
    """A ``drop_after_chunks`` fault: the chunks before it arrive, then the read fails."""
    mockgpt.stub(respond="alpha beta gamma delta", fault={"drop_after_chunks": 2})
    contents: list[str | None] = []

    stream = mockgpt.client(max_retries=0).chat.completions.create(
        model=MODEL, messages=USER, stream=True
    )
    with stream, pytest.raises((http_library().RemoteProtocolError, openai.APIConnectionError)):
        contents.extend(chunk.choices[0].delta.content for chunk in stream)

    received = "".join(c or "" for c in contents)
    assert received  # some chunks came before the drop, as over a socket
    assert "alpha beta gamma delta".startswith(received)
    assert received != "alpha beta gamma delta"


@both_transports
def test_transport_reset_is_a_connection_error(mockgpt: MockGPT) -> None:
    mockgpt.stub(fault={"reset": True})

    with pytest.raises(openai.APIConnectionError):
        mockgpt.client(max_retries=0).chat.completions.create(model=MODEL, messages=USER)


@both_transports
def test_transport_stall_times_out_like_a_socket(mockgpt: MockGPT) -> None:
    """In process, the client's read timeout still applies to a stalled answer."""
    mockgpt.stub(respond="never sent", fault={"stall_after_chunks": 0, "stall_ms": 60_000})

    with pytest.raises(openai.APITimeoutError):
        mockgpt.client(max_retries=0, timeout=0.2).chat.completions.create(
            model=MODEL, messages=USER
        )


@both_transports
@echo
def test_transport_closing_a_client_keeps_the_shared_pool(mockgpt: MockGPT) -> None:
    with mockgpt.client() as first:
        first.chat.completions.create(model=MODEL, messages=USER)

    second = mockgpt.client().chat.completions.create(model=MODEL, messages=USER)

    assert second.choices[0].message.content == "one two three four five"


@pytest.mark.anyio
@both_transports
@echo
async def test_transport_sync_client_inside_an_event_loop(mockgpt: MockGPT) -> None:
    """A blocking client called from async code (in process: on a portal thread)."""
    answer = mockgpt.client().chat.completions.create(model=MODEL, messages=USER)
    async_answer = await mockgpt.async_client().chat.completions.create(model=MODEL, messages=USER)

    assert answer.choices[0].message.content == async_answer.choices[0].message.content


@pytest.mark.parametrize("mockgpt", ["asgi"], indirect=True)
def test_transport_in_process_passes_other_hosts_through(mockgpt: MockGPT) -> None:
    """The patched default transport only reroutes ``mockgpt.test``."""
    lib = http_library()
    with lib.Client() as http:
        response = http.get(f"{mockgpt.server.url}/health")

    assert response.json() == {"status": "ok"}
    assert mockgpt.journal == []


def test_transport_patches_are_undone(mockgpt_server: MockServer) -> None:
    lib = http_library()
    original = lib.HTTPTransport.handle_request

    with MockGPT(mockgpt_server, transport="asgi"):
        assert lib.HTTPTransport.handle_request is not original

    assert lib.HTTPTransport.handle_request is original


def test_transport_unknown_name(mockgpt_server: MockServer) -> None:
    with pytest.raises(Exception, match="transport must be one of socket, asgi, got 'tcp'"):
        MockGPT(mockgpt_server, transport="tcp")  # type: ignore[arg-type]
