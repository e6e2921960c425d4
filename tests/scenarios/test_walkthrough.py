"""Issue 3, done when: README's weather-assistant scenario, served from its file, drives a
two-step tool-calling loop, a 429 on the second call of a sequence, and the journal says
which stub answered each call.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest
from anyio.from_thread import BlockingPortal

from mockgpt import ServerConfig
from mockgpt.server import MockServer
from tests.scenarios.helpers import BOTH, Mock, assistant_turn, fold, readme_scenario_snippets


@pytest.fixture(scope="module")
def weather_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    [snippet] = [s for s in readme_scenario_snippets() if "name: weather-assistant" in s]
    path = tmp_path_factory.mktemp("walkthrough") / "weather.yaml"
    path.write_text(snippet, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def weather(weather_file: Path, portal: BlockingPortal) -> Iterator[Mock]:
    """The scenario served from its file; each test starts from a reset server."""
    with MockServer(ServerConfig(port=0, scenarios=(str(weather_file),))) as server:
        sync = openai.OpenAI(base_url=server.base_url, api_key="x", max_retries=0)
        aio = openai.AsyncOpenAI(base_url=server.base_url, api_key="x", max_retries=0)
        yield Mock(server, portal, {"sync": sync, "async": aio})
        sync.close()

        async def close() -> None:
            await aio.close()

        portal.call(close)


@pytest.fixture
def mock(weather: Mock) -> Iterator[Mock]:
    weather.server.engine.reset()
    yield weather
    errors = list(weather.server.engine.errors)
    weather.server.engine.errors.clear()
    assert not errors, f"the server failed while serving this test: {errors!r}"


@BOTH
@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_walkthrough_two_step_tool_loop(mock: Mock, kind: str, stream: bool) -> None:
    client = mock.client(kind)
    messages: list[dict[str, Any]] = [{"role": "user", "content": "What's the weather today?"}]

    first, _ = assistant_turn(client, messages, stream=stream, model="gpt-4o-mini")
    [call] = first["tool_calls"]
    assert call["function"]["name"] == "get_weather"
    assert json.loads(call["function"]["arguments"]) == {"city": "Paris"}
    messages += [first, {"role": "tool", "tool_call_id": call["id"], "content": "18 °C and sunny"}]
    second, finish = assistant_turn(client, messages, stream=stream, model="gpt-4o-mini")

    assert second == {"role": "assistant", "content": "It is 18 °C and sunny in Paris."}
    assert finish == "stop"
    entries = mock.wait_entries(2)
    assert [e.stub for e in entries] == ["call-weather", "answer-from-tool-result"]
    assert entries[0].misses == {
        "answer-from-tool-result": "tool_result: the conversation has no tool result"
    }


@BOTH
def test_walkthrough_sequence_429_on_the_second_call(mock: Mock, kind: str) -> None:
    client = mock.client(kind)
    ask = {"model": "flaky-model", "messages": [{"role": "user", "content": "anything"}]}

    first = client.chat(**ask).choices[0].message.content
    with pytest.raises(openai.RateLimitError) as caught:
        client.chat(**ask)
    third = "".join(fold(client.chat_chunks(**ask))["content"])

    assert first == "first try works"
    assert caught.value.status_code == 429
    assert caught.value.response.headers["retry-after"] == "1"
    assert third == "third try works"
    entries = mock.wait_entries(3)
    assert [e.status for e in entries] == [200, 429, 200]
    assert {e.stub for e in entries} == {"weather-assistant.stubs[3]"}


def test_walkthrough_greeting_and_cut_stream(mock: Mock) -> None:
    client = mock.client()

    hello = client.chat(model="gpt-4o-mini", messages=[{"role": "user", "content": "hello you"}])
    chunks, error = client.chat_chunks_until_error(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "x"}], metadata={"case": "cut"}
    )
    echoed = client.chat(model="gpt-4o-mini", messages=[{"role": "user", "content": "other"}])

    assert hello.choices[0].message.content == "Hi hello you!"
    assert hello.model == "gpt-4o-mini"
    assert isinstance(error, openai.APIConnectionError)
    assert len(chunks) == 3
    assert echoed.choices[0].message.content == "other"
    entries = mock.wait_entries(3)
    assert [e.stub for e in entries] == [
        "weather-assistant.stubs[2]",
        "weather-assistant.stubs[4]",
        None,
    ]
    assert set(entries[2].misses) == {
        "answer-from-tool-result",
        "call-weather",
        "weather-assistant.stubs[2]",
        "weather-assistant.stubs[3]",
        "weather-assistant.stubs[4]",
    }
