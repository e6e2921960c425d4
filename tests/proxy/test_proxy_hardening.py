"""The proxy against a misbehaving upstream (``fake_upstream``): a client that leaves cancels
the upstream call, slow upstreams time out with 504s, abandoned requests never starve the
pool, oversized SSE lines are refused without being held whole, and an upstream that ignores
``stream: true`` is streamed anyway."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import httpx
import pytest
from openai import OpenAI

from mockgpt.backends import proxy as proxy_module
from mockgpt.backends.proxy import ProxyBackend
from mockgpt.config import ServerConfig, UpstreamTimeouts
from mockgpt.errors import ConfigError
from mockgpt.server import MockServer
from tests.proxy.fake_upstream import HUGE_LINE_BYTES, FakeUpstream

WAIT_S = 10
QUICK = UpstreamTimeouts(connect_s=5, first_byte_s=0.3, idle_s=0.3)
"""Timeouts short enough for a test to see them pass."""


@pytest.fixture(scope="module")
def upstream() -> Iterator[FakeUpstream]:
    fake = FakeUpstream().start()
    yield fake
    fake.stop()


def serve_proxy(upstream: FakeUpstream, timeouts: UpstreamTimeouts | None = None) -> MockServer:
    config = ServerConfig(port=0, upstream=upstream.base_url, log_level="warning")
    if timeouts is not None:
        config = ServerConfig(
            port=0, upstream=upstream.base_url, log_level="warning", upstream_timeout=timeouts
        )
    return MockServer(config)


@pytest.fixture
def proxy(upstream: FakeUpstream) -> Iterator[MockServer]:
    with serve_proxy(upstream) as server:
        yield server
        assert not server.engine.errors


@pytest.fixture
def quick_proxy(upstream: FakeUpstream) -> Iterator[MockServer]:
    with serve_proxy(upstream, QUICK) as server:
        yield server
        assert not server.engine.errors


def chat(model: str, *, stream: bool) -> dict[str, object]:
    return {"model": model, "messages": [{"role": "user", "content": "hi"}], "stream": stream}


def abandon(server: MockServer, upstream: FakeUpstream, body: dict[str, object]) -> None:
    """Send ``body`` over a raw socket, wait until the upstream has it, then hang up."""
    before = upstream.arrived
    data = json.dumps(body).encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=WAIT_S) as sock:
        sock.sendall(
            b"POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\n"
            b"content-type: application/json\r\n"
            + f"content-length: {len(data)}\r\n\r\n".encode()
            + data
        )
        assert upstream.wait(lambda u: u.arrived > before)


@pytest.mark.parametrize("stream", [True, False], ids=["stream", "unstreamed"])
def test_proxy_client_leaving_before_the_first_event_cancels_the_upstream_call(
    proxy: MockServer, upstream: FakeUpstream, stream: bool
) -> None:
    """The upstream sees its request's connection closed, no task is left, and the journal
    says the client disconnected."""
    closed = upstream.closed
    abandon(proxy, upstream, chat("hang", stream=stream))
    assert upstream.wait(lambda u: u.closed > closed)
    assert proxy.wait_idle(WAIT_S)
    [entry] = proxy.engine.journal.entries()
    assert entry.disconnected
    assert entry.status == 0  # nothing was answered


def test_proxy_client_leaving_mid_stream_cancels_the_upstream_call(
    proxy: MockServer, upstream: FakeUpstream
) -> None:
    closed = upstream.closed
    body = chat("stall", stream=True)
    with (
        httpx.Client(base_url=proxy.base_url, timeout=WAIT_S) as client,
        client.stream("POST", "/chat/completions", json=body) as r,
    ):
        assert any("hello" in line for line in r.iter_lines())  # then the stream stalls
    assert upstream.wait(lambda u: u.closed > closed)
    assert proxy.wait_idle(WAIT_S)
    assert proxy.engine.journal.entries()[0].disconnected


def test_proxy_abandoned_requests_never_starve_healthy_ones(
    proxy: MockServer, upstream: FakeUpstream
) -> None:
    """More abandoned requests to a hanging model than the pool has connections; a request
    for a healthy model then still answers."""
    pool = getattr(proxy_module, "UPSTREAM_MAX_CONNECTIONS", 100)
    closed = upstream.closed
    for _ in range(pool + 5):
        abandon(proxy, upstream, chat("hang", stream=True))
    assert upstream.wait(lambda u: u.closed >= closed + pool + 5)
    with httpx.Client(base_url=proxy.base_url, timeout=WAIT_S) as client:
        response = client.post("/chat/completions", json=chat("healthy", stream=False))
    assert response.status_code == 200
    assert response.json()["choices"][0]["message"]["content"] == "healthy"


@pytest.mark.parametrize("model", ["hang", "hang-after-headers"], ids=["no-headers", "headers"])
@pytest.mark.parametrize("stream", [True, False], ids=["stream", "unstreamed"])
def test_proxy_upstream_silent_before_the_first_event_is_a_504(
    quick_proxy: MockServer, model: str, stream: bool
) -> None:
    with httpx.Client(base_url=quick_proxy.base_url, timeout=WAIT_S) as client:
        response = client.post("/chat/completions", json=chat(model, stream=stream))
    assert response.status_code == 504
    error = response.json()["error"]
    assert error["type"] == "server_error"
    assert error["code"] == "upstream_timeout"
    assert "0.3 s" in error["message"]


def test_proxy_upstream_silent_mid_stream_ends_with_the_error_event(
    quick_proxy: MockServer,
) -> None:
    with httpx.Client(base_url=quick_proxy.base_url, timeout=WAIT_S) as client:
        response = client.post("/chat/completions", json=chat("stall", stream=True))
    assert response.status_code == 200
    events = [line[6:] for line in response.text.splitlines() if line.startswith("data: ")]
    assert "hello" in "".join(events[:-1])
    [error] = [json.loads(e)["error"] for e in events if e.startswith('{"error"')]
    assert error["code"] == "upstream_timeout"
    assert error["type"] == "server_error"


def test_proxy_upstream_that_refuses_connections_is_a_502() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}/v1"
    config = ServerConfig(port=0, upstream=dead, upstream_timeout=QUICK, log_level="warning")
    with MockServer(config) as server, httpx.Client(timeout=WAIT_S) as client:
        chat_answer = client.post(
            f"{server.base_url}/chat/completions", json=chat("m", stream=True)
        )
        models = client.get(f"{server.base_url}/models")
    for response in (chat_answer, models):
        assert response.status_code == 502
        assert response.json()["error"]["code"] == "upstream_unreachable"


def test_proxy_forwarding_times_out_with_a_504(quick_proxy: MockServer) -> None:
    """Embeddings pass through unchanged, within the same timeouts (the fake never answers
    an embeddings request whose model is ``hang``)."""
    with httpx.Client(base_url=quick_proxy.base_url, timeout=WAIT_S) as client:
        response = client.post("/embeddings", json={"model": "hang", "input": "hi"})
    assert response.status_code == 504
    assert response.json()["error"]["code"] == "upstream_timeout"


@pytest.fixture
def small_events(monkeypatch: pytest.MonkeyPatch) -> int:
    limit = HUGE_LINE_BYTES // 4
    original = ProxyBackend.__init__

    def init(self: ProxyBackend, *args: object, **kwargs: object) -> None:
        original(self, *args, **kwargs)  # type: ignore[arg-type]
        self.max_event_bytes = limit

    monkeypatch.setattr(ProxyBackend, "__init__", init)
    return limit


def test_proxy_oversized_line_before_the_first_event_is_a_502(
    small_events: int, proxy: MockServer
) -> None:
    """The line never ends: the proxy answers once it passes the limit, holding no more."""
    with httpx.Client(base_url=proxy.base_url, timeout=WAIT_S) as client:
        response = client.post("/chat/completions", json=chat("huge", stream=True))
    assert response.status_code == 502
    error = response.json()["error"]
    assert error["code"] == "upstream_too_large"
    assert str(small_events) in error["message"]


def test_proxy_oversized_line_mid_stream_ends_with_the_error_event(
    small_events: int, proxy: MockServer
) -> None:
    with httpx.Client(base_url=proxy.base_url, timeout=WAIT_S) as client:
        response = client.post("/chat/completions", json=chat("huge-later", stream=True))
    assert response.status_code == 200
    events = [line[6:] for line in response.text.splitlines() if line.startswith("data: ")]
    assert "hello" in "".join(events[:-1])
    [error] = [json.loads(e)["error"] for e in events if e.startswith('{"error"')]
    assert error["code"] == "upstream_too_large"


def client_for(server: MockServer) -> OpenAI:
    return OpenAI(base_url=server.base_url, api_key="x", max_retries=0, timeout=WAIT_S)


def test_proxy_streams_a_chat_upstream_that_ignores_stream_true(proxy: MockServer) -> None:
    chunks = list(
        client_for(proxy).chat.completions.create(
            model="json",
            messages=[{"role": "user", "content": "hi"}],
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    calls = [t for c in chunks if c.choices for t in c.choices[0].delta.tool_calls or ()]
    finish = [
        c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason
    ]
    assert text == "converted text"
    assert calls[0].id == "call_up"
    assert calls[0].function is not None
    assert calls[0].function.name == "get_weather"
    assert "".join(c.function.arguments or "" for c in calls if c.function) == '{"city": "Oslo"}'
    assert finish == ["tool_calls"]
    assert chunks[-1].usage is not None
    assert chunks[-1].usage.completion_tokens == 7


def test_proxy_streams_a_completions_upstream_that_ignores_stream_true(
    proxy: MockServer,
) -> None:
    chunks = list(client_for(proxy).completions.create(model="json", prompt="hi", stream=True))
    assert "".join(c.choices[0].text for c in chunks if c.choices) == "converted text"
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "length"


def test_proxy_streams_a_responses_upstream_that_ignores_stream_true(proxy: MockServer) -> None:
    events = list(client_for(proxy).responses.create(model="json", input="hi", stream=True))
    done = [e for e in events if e.type == "response.completed"]
    assert done
    response = done[0].response
    assert response.output_text == "converted text"
    calls = [item for item in response.output if item.type == "function_call"]
    assert [(c.name, c.arguments) for c in calls] == [("get_weather", '{"city": "Oslo"}')]
    assert response.usage is not None
    assert response.usage.output_tokens == 7


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10,120,60", UpstreamTimeouts(10, 120, 60)),
        ("5", UpstreamTimeouts(5, 5, 5)),
        (" 1.5 , 2 ,3 ", UpstreamTimeouts(1.5, 2, 3)),
    ],
    ids=["three", "one", "spaces"],
)
def test_upstream_timeout_parses(text: str, expected: UpstreamTimeouts) -> None:
    assert UpstreamTimeouts.parse(text) == expected


@pytest.mark.parametrize("text", ["1,2", "a,b,c", "0,1,1", "1,nan,1", "1,2,inf"])
def test_upstream_timeout_refuses_bad_values(text: str) -> None:
    with pytest.raises(ConfigError, match="--upstream-timeout"):
        UpstreamTimeouts.parse(text)
