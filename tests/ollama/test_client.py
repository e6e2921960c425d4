"""The official ``ollama`` Python client against mockgpt over a socket."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from mockgpt.server import MockServer
from tests.ollama.conftest import MODELS, Wire, journalled
from tests.ollama.test_tools import AGENT_LOOP

ollama = pytest.importorskip("ollama")

USER = [{"role": "user", "content": "blue giraffe"}]


@pytest.fixture(scope="module")
def ollama_client(ollama_server: MockServer) -> Iterator[Any]:
    with ollama.Client(host=ollama_server.url, timeout=10) as client:
        yield client


@pytest.fixture
def client(socket_wire: Wire, ollama_client: Any) -> Any:
    """The official client on a server reset for this test."""
    return ollama_client


def test_client_chat(client: Any) -> None:
    response = client.chat(model="llama3", messages=USER)

    assert response.message.role == "assistant"
    assert response.message.content == "blue giraffe"
    assert response.done is True
    assert response.done_reason == "stop"
    assert response.eval_count == 2
    assert response.total_duration > 0


def test_client_chat_stream(client: Any) -> None:
    parts = list(
        client.chat(model="llama3", messages=USER, stream=True, options={"num_predict": 1})
    )

    assert [p.message.content for p in parts] == ["blue", ""]
    assert [p.done for p in parts] == [False, True]
    assert parts[-1].done_reason == "length"
    assert parts[-1].eval_count == 1


def test_client_generate(client: Any) -> None:
    response = client.generate(model="llama3", prompt="blue giraffe", options={"stop": [" gir"]})
    parts = list(client.generate(model="llama3", prompt="blue giraffe", stream=True))

    assert response.response == "blue"
    assert response.context
    assert "".join(p.response for p in parts) == "blue giraffe"


def test_client_structured_output(client: Any) -> None:
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}

    response = client.chat(model="llama3", messages=USER, format=schema, options={"seed": 1})

    assert isinstance(json.loads(response.message.content)["n"], int)


def get_weather(city: str) -> str:
    """The weather in a city.

    Args:
      city: the city's name
    """
    return "sunny"


def test_client_tool_loop(socket_wire: Wire, client: Any) -> None:
    socket_wire.stub(*AGENT_LOOP)
    messages: list[Any] = [{"role": "user", "content": "What is the weather in Paris?"}]

    first = client.chat(model="llama3", messages=messages, tools=[get_weather])
    [call] = first.message.tool_calls
    messages.append(first.message)
    messages.append(
        {
            "role": "tool",
            "content": get_weather(**call.function.arguments),
            "tool_name": call.function.name,
        }
    )
    second = client.chat(model="llama3", messages=messages, tools=[get_weather])

    assert call.function.name == "get_weather"
    assert call.function.arguments == {"city": "Paris"}
    assert second.message.content == "It is sunny in Paris."
    assert not second.message.tool_calls


def test_client_list_show_ps(socket_wire: Wire, client: Any) -> None:
    client.chat(model="llama3", messages=USER)

    listed = client.list()
    shown = client.show("llama3")
    journalled(socket_wire.engine, 3)
    running = client.ps()

    assert [m.model for m in listed.models] == [m if ":" in m else f"{m}:latest" for m in MODELS]
    assert listed.models[0].modified_at.year == 2023
    assert listed.models[0].details.family == "llama"
    assert shown.capabilities == ["completion", "tools"]
    assert shown.modelinfo["general.architecture"] == "llama"
    assert [m.model for m in running.models] == ["llama3:latest"]
    assert running.models[0].expires_at is not None


def test_client_raises_response_error_with_status(socket_wire: Wire, client: Any) -> None:
    socket_wire.stub({"respond": {"error": {"status": 429, "message": "slow down"}}})

    with pytest.raises(ollama.ResponseError) as caught:
        client.chat(model="llama3", messages=USER)
    with pytest.raises(ollama.ResponseError) as missing:
        client.delete("mistral")

    assert (caught.value.status_code, caught.value.error) == (429, "slow down")
    assert (missing.value.status_code, missing.value.error) == (404, "model 'mistral' not found")


def test_client_raises_on_an_error_line_mid_stream(socket_wire: Wire, client: Any) -> None:
    socket_wire.stub(
        {"fault": {"error_after_chunks": 1, "error_event": {"status": 500, "message": "boom"}}}
    )
    received: list[str] = []

    with pytest.raises(ollama.ResponseError, match="boom"):  # noqa: PT012
        for part in client.chat(model="llama3", messages=USER, stream=True):
            received.append(part.message.content)

    assert received == ["blue"]
