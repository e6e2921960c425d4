"""The raw bytes of chat and legacy completion streams over a real socket.

The official client forgives bad framing, so these tests read the body themselves: every
event is exactly ``data: <one-line JSON>\\n\\n`` and the stream ends with ``data: [DONE]``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from mockgpt import ServerConfig
from mockgpt.server import MockServer
from tests.support import USER, split_sse

CHAT = "/v1/chat/completions"
BASE = {"model": "gpt-4o-mini", "messages": USER, "stream": True}

CHAT_REQUESTS = [
    {},
    {"n": 3},
    {"stream_options": {"include_usage": True}},
    {"stream_options": {"include_usage": False}},
    {"logprobs": True, "top_logprobs": 2},
    {"max_tokens": 1},
    {"stop": " gir"},
    {"messages": [{"role": "user", "content": 'línea 1\nline 2 "quoted" \u2028 tab\t 😀'}]},
    {"messages": [{"role": "user", "content": ""}]},
]
CHAT_IDS = [
    "plain",
    "n-3",
    "include-usage",
    "include-usage-false",
    "logprobs",
    "max-tokens",
    "stop",
    "newlines-and-unicode",
    "empty-answer",
]


@pytest.fixture(scope="module")
def paced_server() -> Iterator[MockServer]:
    """Frames written one by one (the paced path), quickly: 2 ms apart."""
    with MockServer(ServerConfig(port=0, tokens_per_second=500)) as server:
        yield server


@pytest.fixture(params=["unpaced", "paced"])
def base_url(request: pytest.FixtureRequest, server: MockServer) -> str:
    if request.param == "paced":
        paced: MockServer = request.getfixturevalue("paced_server")
        return paced.url
    return server.url


def _stream(base_url: str, path: str, body: dict[str, Any], **headers: str) -> httpx.Response:
    with (
        httpx.Client(base_url=base_url, timeout=30) as http,
        http.stream("POST", path, json=body, headers=headers) as response,
    ):
        response.read()
        return response


def _check_chunks(chunks: list[dict[str, Any]], obj: str, *, include_usage: bool) -> None:
    assert chunks, "no chunks before [DONE]"
    assert len({c["id"] for c in chunks}) == 1
    assert len({c["created"] for c in chunks}) == 1
    assert len({c["model"] for c in chunks}) == 1
    for chunk in chunks:
        assert chunk["object"] == obj
        assert type(chunk["created"]) is int
        assert "choices" in chunk
        assert isinstance(chunk["choices"], list)
    if include_usage:
        *body, last = chunks
        assert all("usage" in c and c["usage"] is None for c in body)
        assert last["choices"] == []
        usage = last["usage"]
        assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]
    else:
        assert all(c.get("usage") is None for c in chunks)
        assert all(c["choices"] for c in chunks)


@pytest.mark.parametrize("extra", CHAT_REQUESTS, ids=CHAT_IDS)
def test_sse_chat_stream_framing(base_url: str, extra: dict[str, Any]) -> None:
    body = {**BASE, **extra}

    response = _stream(base_url, CHAT, body)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.content.endswith(b"data: [DONE]\n\n")
    events = split_sse(response.content)
    assert [e.raw for e in events].count(b"data: [DONE]") == 1
    chunks = [e.data for e in events[:-1]]
    assert all(isinstance(c, dict) for c in chunks)
    include_usage = bool(extra.get("stream_options", {}).get("include_usage"))
    _check_chunks(chunks, "chat.completion.chunk", include_usage=include_usage)
    n = extra.get("n", 1)
    choices = [choice for c in chunks for choice in c["choices"]]
    assert {choice["index"] for choice in choices} == set(range(n))
    for index in range(n):
        mine = [choice for choice in choices if choice["index"] == index]
        assert all(set(choice) >= {"index", "delta", "finish_reason"} for choice in mine)
        roles = [i for i, choice in enumerate(mine) if "role" in choice["delta"]]
        assert roles == [0]
        assert mine[0]["delta"]["role"] == "assistant"
        finishes = [i for i, choice in enumerate(mine) if choice["finish_reason"] is not None]
        assert finishes == [len(mine) - 1]


def test_sse_chat_stream_is_decided_by_the_body_not_accept(server: MockServer) -> None:
    response = _stream(server.url, CHAT, BASE, accept="application/json")

    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.content.endswith(b"data: [DONE]\n\n")
    assert len(split_sse(response.content)) == 5


def test_sse_chat_stream_false_is_json(server: MockServer) -> None:
    response = _stream(server.url, CHAT, {**BASE, "stream": False}, accept="text/event-stream")

    assert response.headers["content-type"] == "application/json"
    assert response.json()["object"] == "chat.completion"


def test_sse_chat_stream_exact_bytes(server: MockServer) -> None:
    """The first events, byte for byte: compact JSON, the role delta, then one token."""
    response = _stream(server.url, CHAT, BASE)

    events = split_sse(response.content)
    first = events[0].data
    prefix = (
        f'data: {{"id":"{first["id"]}","object":"chat.completion.chunk",'
        f'"created":{first["created"]},"model":"gpt-4o-mini",'
    ).encode()
    assert all(e.raw.startswith(prefix) for e in events[:-1])
    assert events[0].raw.endswith(
        b'"choices":[{"index":0,"delta":{"role":"assistant","content":"","refusal":null},'
        b'"logprobs":null,"finish_reason":null}]}'
    )
    assert events[1].raw.endswith(
        b'"choices":[{"index":0,"delta":{"content":"blue"},"logprobs":null,"finish_reason":null}]}'
    )
    assert events[3].raw.endswith(
        b'"choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]}'
    )
    assert events[4].raw == b"data: [DONE]"


def test_sse_unicode_is_utf8_not_escaped(server: MockServer) -> None:
    body = {**BASE, "messages": [{"role": "user", "content": "café 😀"}]}

    response = _stream(server.url, CHAT, body)

    assert "café".encode() in response.content
    assert "😀".encode() in response.content


@pytest.mark.parametrize(
    "extra",
    [
        {},
        {"n": 2, "prompt": ["a b", "c"]},
        {"stream_options": {"include_usage": True}},
        {"logprobs": 1},
    ],
    ids=["plain", "prompts-and-n", "include-usage", "logprobs"],
)
def test_sse_completion_stream_framing(base_url: str, extra: dict[str, Any]) -> None:
    body = {"model": "gpt-3.5-turbo-instruct", "prompt": "blue giraffe", "stream": True, **extra}

    response = _stream(base_url, "/v1/completions", body)

    assert response.headers["content-type"].startswith("text/event-stream")
    events = split_sse(response.content)
    assert events[-1].raw == b"data: [DONE]"
    chunks = [e.data for e in events[:-1]]
    include_usage = "stream_options" in extra
    _check_chunks(chunks, "text_completion", include_usage=include_usage)
    choices = [choice for c in chunks for choice in c["choices"]]
    for index in {choice["index"] for choice in choices}:
        finishes = [c["finish_reason"] for c in choices if c["index"] == index]
        assert [f for f in finishes if f is not None] == ["stop"]
        assert finishes[-1] == "stop"
