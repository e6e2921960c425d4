"""The proxy backend: a second mockgpt server is the upstream, scripted with tool calls,
streams and errors; the client talks to the proxy only."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest
import yaml
from openai import OpenAI

from mockgpt.config import ServerConfig
from mockgpt.scenarios import Scenario
from mockgpt.server import MockServer

UPSTREAM_KEY = "sk-upstream-secret-1234"

UPSTREAM_SCENARIO = {
    "name": "upstream",
    "stubs": [
        {
            "id": "weather",
            "match": {"last_user": {"contains": "weather"}},
            "respond": {
                "tool_calls": [
                    {
                        "name": "get_weather",
                        "arguments": {"city": "Oslo"},
                        # odd fragments, so a replay equal to them kept the upstream's chunking
                        "chunks": ['{"ci', 'ty": "Os', 'lo"}'],
                    }
                ]
            },
        },
        {
            "id": "limited",
            "match": {"last_user": {"contains": "limit me"}},
            "respond": {"error": {"status": 429, "retry_after": 7, "message": "slow down"}},
        },
        {
            "id": "chunked",
            "match": {"last_user": {"contains": "chunks"}},
            "respond": {
                "content": "one two three",
                "chunking": {"chunks": ["one", " two", " three"]},
            },
        },
    ],
}


@pytest.fixture(scope="module")
def upstream() -> Iterator[MockServer]:
    with MockServer(ServerConfig(port=0, api_key=UPSTREAM_KEY)) as server:
        yield server


@pytest.fixture(autouse=True)
def _scripted(upstream: MockServer) -> None:
    upstream.engine.reset()
    upstream.engine.registry.add(Scenario.model_validate(UPSTREAM_SCENARIO))


@pytest.fixture
def proxy(upstream: MockServer, tmp_path: Path) -> Iterator[MockServer]:
    config = ServerConfig(
        port=0,
        upstream=upstream.base_url,
        upstream_api_key=UPSTREAM_KEY,
        record=str(tmp_path / "recorded.yaml"),
    )
    with MockServer(config) as server:
        yield server


def flush_recording(server: MockServer) -> None:
    """Wait until the server's recorder has written every exchange (it writes in a thread)."""
    assert server.engine.recorder is not None
    assert server.engine.recorder.flush(timeout_s=10)


def client_for(server: MockServer) -> OpenAI:
    return OpenAI(base_url=server.base_url, api_key="client-key", max_retries=0)


def test_proxy_answers_as_the_upstream_does(proxy: MockServer) -> None:
    reply = client_for(proxy).chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "blue giraffe"}]
    )
    assert reply.choices[0].message.content == "blue giraffe"
    assert reply.usage is not None
    assert reply.usage.completion_tokens == 2


def test_proxy_streams_tool_calls_through(proxy: MockServer) -> None:
    with client_for(proxy).chat.completions.stream(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "the weather please"}],
    ) as stream:
        final = stream.get_final_completion()
    call = final.choices[0].message.tool_calls[0]
    assert call.function.name == "get_weather"
    assert call.function.arguments == '{"city": "Oslo"}'
    assert final.choices[0].finish_reason == "tool_calls"


def test_proxy_keeps_the_upstream_error_status_and_envelope(proxy: MockServer) -> None:
    with pytest.raises(openai.RateLimitError) as caught:
        client_for(proxy).chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "limit me"}], stream=True
        )
    assert caught.value.status_code == 429
    assert caught.value.body == {
        "message": "slow down",
        "type": "requests",
        "param": None,
        "code": "rate_limit_exceeded",
    }
    assert caught.value.response.headers["retry-after"] == "7"


def test_proxy_forwards_embeddings_and_models(proxy: MockServer, upstream: MockServer) -> None:
    via_proxy = client_for(proxy).embeddings.create(model="text-embedding-3-small", input="x")
    direct = OpenAI(base_url=upstream.base_url, api_key=UPSTREAM_KEY).embeddings.create(
        model="text-embedding-3-small", input="x"
    )
    assert via_proxy.data[0].embedding == direct.data[0].embedding
    assert [m.id for m in client_for(proxy).models.list().data] == [
        m.id for m in OpenAI(base_url=upstream.base_url, api_key=UPSTREAM_KEY).models.list().data
    ]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_proxy_to_an_unreachable_upstream_is_a_502_naming_it() -> None:
    dead = f"http://127.0.0.1:{free_port()}/v1"
    with MockServer(ServerConfig(port=0, upstream=dead)) as server:
        response = httpx.post(
            f"{server.base_url}/chat/completions",
            json={"model": "m", "messages": [{"role": "user", "content": "hi"}], "stream": True},
        )
    assert response.status_code == 502
    error = response.json()["error"]
    assert dead in error["message"]
    assert error["code"] == "upstream_unreachable"


def test_proxy_never_shows_the_upstream_key(proxy: MockServer, tmp_path: Path) -> None:
    client_for(proxy).chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "blue giraffe"}]
    )
    journal = httpx.get(f"{proxy.url}/_mockgpt/journal").text
    assert UPSTREAM_KEY not in journal
    assert "client-key" not in journal  # the client's key is masked too
    flush_recording(proxy)
    assert UPSTREAM_KEY not in (tmp_path / "recorded.yaml").read_text()
    assert UPSTREAM_KEY not in repr(proxy.config)


def test_record_then_replay_gives_the_same_answers_offline(
    proxy: MockServer, tmp_path: Path
) -> None:
    client = client_for(proxy)
    asks = [
        {"messages": [{"role": "user", "content": "the weather please"}], "stream": True},
        {"messages": [{"role": "user", "content": "in chunks"}], "stream": True},
        {"messages": [{"role": "user", "content": "blue giraffe"}], "stream": False},
    ]

    def run(target: OpenAI) -> list[object]:
        results: list[object] = []
        for ask in asks:
            if ask["stream"]:
                chunks = list(
                    target.chat.completions.create(
                        model="gpt-4o-mini",
                        messages=ask["messages"],
                        stream=True,
                        stream_options={"include_usage": True},
                    )
                )
                deltas = [
                    (
                        c.choices[0].delta.content,
                        c.choices[0].delta.tool_calls
                        and [
                            (t.index, t.id, t.function.name, t.function.arguments)
                            for t in c.choices[0].delta.tool_calls
                        ],
                        c.choices[0].finish_reason,
                    )
                    for c in chunks
                    if c.choices
                ]
                results.append(
                    (deltas, chunks[-1].usage.model_dump() if chunks[-1].usage else None)
                )
            else:
                reply = target.chat.completions.create(
                    model="gpt-4o-mini", messages=ask["messages"]
                )
                message = reply.choices[0].message
                results.append(
                    (
                        message.content,
                        reply.choices[0].finish_reason,
                        reply.usage.model_dump() if reply.usage else None,
                    )
                )
        return results

    live = run(client)
    flush_recording(proxy)
    recorded = tmp_path / "recorded.yaml"
    # the upstream is no longer needed: replay from the file alone
    with MockServer(ServerConfig(port=0, scenarios=(str(recorded),))) as replay:
        replayed = run(client_for(replay))
    assert replayed == live


def test_recording_the_same_request_twice_keeps_one_stub(proxy: MockServer, tmp_path: Path) -> None:
    client = client_for(proxy)
    for _ in range(2):
        client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "blue giraffe"}]
        )
    flush_recording(proxy)
    stubs = yaml.safe_load((tmp_path / "recorded.yaml").read_text())["stubs"]
    assert len(stubs) == 1
    assert "respond" in stubs[0]


def test_recording_sequences_appends_answers(upstream: MockServer, tmp_path: Path) -> None:
    out = tmp_path / "seq.yaml"
    config = ServerConfig(
        port=0,
        upstream=upstream.base_url,
        upstream_api_key=UPSTREAM_KEY,
        record=str(out),
        record_sequences=True,
    )
    with MockServer(config) as server:
        for _ in range(3):
            client_for(server).chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "blue giraffe"}]
            )
    stubs = yaml.safe_load(out.read_text())["stubs"]
    assert len(stubs) == 1
    assert len(stubs[0]["sequence"]) == 3


def test_recorded_file_is_a_valid_readable_scenario(proxy: MockServer, tmp_path: Path) -> None:
    client_for(proxy).chat.completions.create(
        model="gpt-4o-mini",
        messages=[{"role": "user", "content": "the weather please"}],
        tools=[{"type": "function", "function": {"name": "get_weather"}}],
    )
    flush_recording(proxy)
    text = (tmp_path / "recorded.yaml").read_text()
    scenario = Scenario.model_validate(yaml.safe_load(text))
    stub = scenario.stubs[0]
    assert stub.match.endpoint == "chat.completions"
    assert stub.match.tools == ["get_weather"]
    assert stub.respond is not None
    assert stub.respond.tool_calls is not None
    assert stub.respond.tool_calls[0].name == "get_weather"
