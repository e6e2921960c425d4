"""Fuzz: any request over a raw socket gets an answer in its family's shape, never a 5xx.

A bounded run (hypothesis, over every family's paths, methods, headers, chunked or
length-framed bodies, and bodies from valid requests to garbage) against one real server: no
status >= 500, every error in the OpenAI envelope (Ollama's ``{"error": "..."}`` under
``/api/``), and no exception recorded by the server. A longer run is
``pytest tests/properties/test_fuzz.py --hypothesis-profile=thorough``.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mockgpt import ServerConfig
from mockgpt.server import MockServer
from tests.support import examples

PATHS = [
    "/chat/completions",
    "/completions",
    "/embeddings",
    "/models",
    "/models/gpt-4o-mini",
    "/responses",
    "/responses/input_tokens",
    "/responses/compact",
    "/responses/resp_x",
    "/responses/resp_x/cancel",
    "/responses/resp_x/input_items",
    "/conversations",
    "/conversations/conv_x",
    "/conversations/conv_x/items",
    "/assistants",
    "/assistants/asst_x",
    "/threads",
    "/threads/runs",
    "/threads/thread_x/messages",
    "/threads/thread_x/runs",
    "/threads/thread_x/runs/run_x/submit_tool_outputs",
]
OTHER = [
    "/api/chat",
    "/api/generate",
    "/api/tags",
    "/api/show",
    "/api/ps",
    "/api/version",
    "/health",
    "/_mockgpt/journal",
    "/nothing/here",
]

USER = [{"role": "user", "content": "hello there"}]
VALID: list[dict[str, Any]] = [
    {"model": "gpt-4o-mini", "messages": USER},
    {"model": "gpt-4o-mini", "messages": USER, "stream": True, "n": 2, "max_tokens": 3},
    {"model": "gpt-4o-mini", "prompt": "hi", "stream": True, "echo": True},
    {"model": "text-embedding-3-small", "input": ["a", "b"], "encoding_format": "base64"},
    {"model": "gpt-4o-mini", "input": "hi", "stream": True, "max_output_tokens": 20},
    {"model": "llama3", "messages": USER, "stream": False, "format": "json"},
    {"model": "llama3", "prompt": "hi", "options": {"num_predict": 2, "stop": ["x"]}},
    {"model": "gpt-4o-mini", "items": [{"type": "message", "role": "user", "content": "x"}]},
]

_json_leaf = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False)
    | st.text(alphabet=st.characters() | st.characters(categories=["Cs"]), max_size=12)
)
_json = st.recursive(
    _json_leaf,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)


@st.composite
def _mutated(draw: st.DrawFn) -> Any:
    """A valid request with one field replaced, removed or added."""
    body = dict(draw(st.sampled_from(VALID)))
    action = draw(st.sampled_from(["replace", "remove", "add"]))
    key = draw(st.sampled_from([*body, "n", "stream", "tools", "tool_choice", "stop", "seed"]))
    if action == "remove":
        body.pop(key, None)
    else:
        body[key] = draw(_json)
    return body


def _encode(value: Any) -> bytes:
    return json.dumps(value).encode("utf-8", "surrogatepass")


_bodies = (
    st.sampled_from(VALID).map(_encode)
    | _mutated().map(_encode)
    | _json.map(_encode)
    | st.binary(max_size=64)
    | st.just(b"[" * 5000 + b"]" * 5000)
    | st.just(b"")
)


@st.composite
def _requests(draw: st.DrawFn) -> tuple[str, str, bytes, dict[str, str], bool]:
    path = draw(
        st.sampled_from(PATHS).map(lambda p: "/v1" + p)
        | st.sampled_from(PATHS)
        | st.sampled_from(OTHER)
    )
    if draw(st.integers(0, 9)) == 0:
        path += draw(
            st.sampled_from(["?limit=%C2%B2", "?limit=0", "?order=up", "?stream=true", "/x"])
        )
    method = draw(st.sampled_from(["POST", "POST", "GET", "DELETE", "PUT", "PATCH", "OPTIONS"]))
    headers = {}
    if draw(st.booleans()):
        headers["content-type"] = draw(
            st.sampled_from(["application/json", "text/plain", "application/x-www-form-urlencoded"])
        )
    if draw(st.integers(0, 4)) == 0:
        headers["origin"] = draw(st.sampled_from(["http://localhost:3000", "https://evil.example"]))
    if draw(st.integers(0, 4)) == 0:
        headers["authorization"] = draw(st.sampled_from(["Bearer x", "Basic y", "Bearer"]))
    return method, path, draw(_bodies), headers, draw(st.booleans())


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    with MockServer(ServerConfig(port=0, body_timeout_s=2)) as running:
        yield running


def _exchange(
    server: MockServer, method: str, path: str, body: bytes, headers: dict[str, str], chunked: bool
) -> tuple[int, bytes]:
    head = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{server.port}", "Connection: close"]
    head += [f"{k}: {v}" for k, v in headers.items()]
    if chunked:
        head.append("Transfer-Encoding: chunked")
        middle = len(body) // 2
        parts = [p for p in (body[:middle], body[middle:]) if p]
        payload = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts) + b"0\r\n\r\n"
    else:
        head.append(f"Content-Length: {len(body)}")
        payload = body
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall("\r\n".join(head).encode() + b"\r\n\r\n" + payload)
        received = b""
        while chunk := s.recv(65536):
            received += chunk
    status_line, _, rest = received.partition(b"\r\n")
    _, _, content = rest.partition(b"\r\n\r\n")
    return int(status_line.split()[1]), content


def _dechunk(content: bytes) -> bytes:
    out = b""
    while content:
        size_line, _, content = content.partition(b"\r\n")
        size = int(size_line, 16)
        if size == 0:
            break
        out += content[:size]
        content = content[size + 2 :]
    return out


@settings(
    max_examples=examples(1500),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(request=_requests())
def test_fuzz_any_request_gets_its_familys_answer_never_a_5xx(
    server: MockServer, request: tuple[str, str, bytes, dict[str, str], bool]
) -> None:
    method, path, body, headers, chunked = request

    status, content = _exchange(server, method, path, body, headers, chunked)

    assert status < 500, (status, content[:300])
    if status >= 400 and method != "HEAD":
        if not content.startswith(b"{"):
            content = _dechunk(content)
        error = json.loads(content)
        if path.startswith("/api/"):
            assert isinstance(error.get("error"), str), error
        else:
            assert set(error["error"]) == {"message", "type", "param", "code"}, error
    assert server.engine.errors == []
