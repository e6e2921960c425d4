"""What else the proxy answers from its upstream's chat completions: Assistants runs and
Ollama's ``/api/chat`` and ``/api/generate``; and an upstream's error event inside a 200
chat stream, which the proxy's stream carries too."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest

from mockgpt.server import MockServer
from tests.proxy.conftest import upstream_requests

# openai 3.x marks every beta.assistants / beta.threads method @deprecated (Assistants API).
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

MODEL = "gpt-4o-mini"
USER = [{"role": "user", "content": "blue giraffe"}]


@pytest.fixture
def client(proxy_server: MockServer) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=proxy_server.base_url, api_key="x", max_retries=0) as client:
        yield client


@pytest.fixture
def http(proxy_server: MockServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=proxy_server.url) as http:
        yield http


def data_events(body: bytes) -> list[Any]:
    """The ``data:`` of each SSE event, JSON-decoded (``[DONE]`` as the string)."""
    out: list[Any] = []
    for block in body.decode().split("\n\n"):
        for line in block.splitlines():
            if line.startswith("data: "):
                data = line.removeprefix("data: ")
                out.append(data if data == "[DONE]" else json.loads(data))
    return out


def test_proxy_assistants_run_asks_the_upstream_chat_completions(
    client: openai.OpenAI, scripted_upstream: MockServer
) -> None:
    assistant = client.beta.assistants.create(model=MODEL, instructions="You are terse.")
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "blue giraffe"}])

    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id)
    (sent,) = upstream_requests(scripted_upstream)

    assert run.status == "completed"
    reply = client.beta.threads.messages.list(thread.id, order="desc").data[0]
    assert reply.content[0].text.value == "blue giraffe"  # type: ignore[union-attr]
    assert sent[0] == "/v1/chat/completions"
    assert sent[1]["stream"] is True
    assert sent[1]["messages"] == [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "blue giraffe"},
    ]


def test_proxy_assistants_tool_round_trip(
    client: openai.OpenAI, scripted_upstream: MockServer
) -> None:
    assistant = client.beta.assistants.create(
        model=MODEL,
        tools=[{"type": "function", "function": {"name": "get_weather", "parameters": {}}}],
    )
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "weather?"}])
    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id)
    assert run.required_action is not None
    (call,) = run.required_action.submit_tool_outputs.tool_calls

    done = client.beta.threads.runs.submit_tool_outputs_and_poll(
        thread_id=thread.id, run_id=run.id, tool_outputs=[{"tool_call_id": call.id, "output": "7C"}]
    )
    sent = upstream_requests(scripted_upstream)[1][1]

    assert (call.function.name, call.function.arguments) == ("get_weather", '{"city": "Oslo"}')
    assert done.status == "completed"
    reply = client.beta.threads.messages.list(thread.id, order="desc").data[0]
    assert reply.content[0].text.value == "Oslo: 7C"  # type: ignore[union-attr]
    assert sent["messages"][-1] == {"role": "tool", "content": "7C", "tool_call_id": call.id}


@pytest.mark.parametrize("stream", [False, True], ids=["json", "ndjson"])
def test_proxy_ollama_chat_asks_the_upstream_chat_completions(
    http: httpx.Client, scripted_upstream: MockServer, stream: bool
) -> None:
    answer = http.post("/api/chat", json={"model": "llama3", "messages": USER, "stream": stream})
    lines = [json.loads(line) for line in answer.text.splitlines()]
    (sent,) = upstream_requests(scripted_upstream)

    assert answer.status_code == 200
    assert "".join(line["message"]["content"] for line in lines) == "blue giraffe"
    assert lines[-1]["done"] is True
    assert lines[-1]["eval_count"] == 2
    assert sent == (
        "/v1/chat/completions",
        {
            "model": "llama3",
            "messages": USER,
            "stream": True,
            "stream_options": {"include_usage": True},
        },
    )


def test_proxy_ollama_generate_asks_the_upstream_chat_completions(
    http: httpx.Client, scripted_upstream: MockServer
) -> None:
    body = {"model": "llama3", "prompt": "blue giraffe", "system": "be brief", "stream": False}
    answer = http.post("/api/generate", json=body).json()
    (sent,) = upstream_requests(scripted_upstream)

    assert answer["response"] == "blue giraffe"
    assert answer["done_reason"] == "stop"
    assert sent[0] == "/v1/chat/completions"
    assert sent[1]["messages"] == [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": "blue giraffe"},
    ]


@pytest.mark.parametrize(
    ("prompt", "text"), [("break", "one two three"), ("break early", "")], ids=["late", "early"]
)
def test_proxy_chat_upstream_error_event_is_an_error_event(
    http: httpx.Client, prompt: str, text: str
) -> None:
    """An upstream that said 200 and then sent an error event: the proxy says 200 and sends
    the error event with the upstream's envelope, then ``[DONE]``, whenever the error came."""
    body = {"model": MODEL, "messages": [{"role": "user", "content": prompt}], "stream": True}
    answer = http.post("/v1/chat/completions", json=body)
    *chunks, error, done = data_events(answer.content)

    assert answer.status_code == 200
    assert "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks) == text
    assert error == {
        "error": {
            "message": "it broke" if prompt == "break" else "no luck",
            "type": "server_error",
            "param": None,
            "code": None,
        }
    }
    assert done == "[DONE]"


def test_proxy_chat_upstream_error_event_raises_in_the_official_client(
    client: openai.OpenAI,
) -> None:
    stream = client.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "break"}], stream=True
    )
    with pytest.raises(openai.APIError, match="it broke"):
        list(stream)


def test_proxy_chat_upstream_error_event_unstreamed_is_a_502_envelope(
    http: httpx.Client,
) -> None:
    """A client that asked for one object gets the upstream's error with status 502."""
    body = {"model": MODEL, "messages": [{"role": "user", "content": "break"}]}
    answer = http.post("/v1/chat/completions", json=body)

    assert answer.status_code == 502
    assert answer.json()["error"]["message"] == "it broke"
    assert answer.json()["error"]["type"] == "server_error"


def test_proxy_ollama_upstream_error_event_is_an_error_line(http: httpx.Client) -> None:
    """Ollama's stream ends with ``{"error": message}`` when the upstream breaks after its 200."""
    body = {"model": "llama3", "messages": [{"role": "user", "content": "break"}]}
    answer = http.post("/api/chat", json=body)
    *lines, error = [json.loads(line) for line in answer.text.splitlines()]

    assert answer.status_code == 200
    assert "".join(line["message"]["content"] for line in lines) == "one two three"
    assert error == {"error": "it broke"}


def test_proxy_ollama_upstream_http_error_keeps_its_status(http: httpx.Client) -> None:
    """An upstream that refuses before streaming: the status, in Ollama's error shape."""
    body = {"model": "llama3", "messages": [{"role": "user", "content": "limit me"}]}
    answer = http.post("/api/chat", json=body)

    assert answer.status_code == 429
    assert answer.json() == {"error": "slow down"}
