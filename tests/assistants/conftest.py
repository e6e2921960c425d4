"""Fixtures for the Assistants API tests.

- ``server`` (the session's ``MockServer`` on 127.0.0.1) is reset before and after each test.
- ``stub(...)``: add stubs to it for one test (``Scenario.model_validate`` of ``{"stubs": ...}``).
- ``client``: a sync ``openai.OpenAI`` with ``_strict_response_validation``, so a body the SDK's
  types reject fails the test.
- ``inproc``: an ``AsyncOpenAI`` on an app served in process (the ASGI transport of ``httpx2``,
  or of ``httpx`` under openai 2.x), and that app's engine, for ``anyio`` tests.
- ``assistant``: an assistant offering ``get_weather``, made on ``server``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import openai
import pytest
from openai.types.beta import FunctionToolParam

from mockgpt import ServerConfig, create_app
from mockgpt.engine import Engine
from mockgpt.scenarios import Scenario
from mockgpt.server import MockServer, http_library

MODEL = "gpt-4o-mini"

WEATHER_TOOL: FunctionToolParam = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "The weather in a city.",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}

WEATHER_STUBS: list[dict[str, Any]] = [
    {
        "id": "weather-answer",
        "match": {"endpoint": "assistants", "tool_result": {"name": "get_weather"}},
        "respond": {"content": "In Paris it is {{ messages[-1].content }}."},
    },
    {
        "id": "weather-call",
        "match": {"endpoint": "assistants", "last_user": "weather", "tools": ["get_weather"]},
        "respond": {"tool_calls": [{"name": "get_weather", "arguments": {"city": "Paris"}}]},
    },
]
"""A tool call for a weather question, and the answer once the tool result is in."""


def _forget(engine: Engine) -> None:
    engine.reset()


@pytest.fixture(autouse=True)
def _fresh(server: MockServer) -> Iterator[None]:
    _forget(server.engine)
    yield
    _forget(server.engine)


@pytest.fixture
def stub(server: MockServer) -> Callable[..., None]:
    """``stub({match, respond, ...}, ...)``: add these stubs, tried before any other."""

    def add(*stubs: dict[str, Any]) -> None:
        server.engine.registry.add(Scenario.model_validate({"name": "test", "stubs": stubs}))

    return add


@pytest.fixture(scope="session")
def strict_client(server: MockServer) -> Iterator[openai.OpenAI]:
    options: dict[str, Any] = {"_strict_response_validation": True}
    with openai.OpenAI(base_url=server.base_url, api_key="x", max_retries=0, **options) as client:
        yield client


@pytest.fixture
def client(strict_client: openai.OpenAI) -> openai.OpenAI:
    return strict_client


@pytest.fixture
def assistant(client: openai.OpenAI) -> str:
    """The id of an assistant with instructions and the ``get_weather`` tool."""
    with pytest.warns(DeprecationWarning, match="deprecated"):
        made = client.beta.assistants.create(
            model=MODEL, instructions="You are terse.", tools=[WEATHER_TOOL]
        )
    return made.id


@dataclass
class InProcess:
    """An official async client on an app served in process, and the app's engine."""

    client: openai.AsyncOpenAI
    engine: Engine

    def stub(self, *stubs: dict[str, Any]) -> None:
        self.engine.registry.add(Scenario.model_validate({"name": "test", "stubs": stubs}))


@pytest.fixture
async def inproc() -> AsyncIterator[InProcess]:
    app = create_app(ServerConfig(port=0))
    lib = http_library()  # httpx2 for openai 3.x, httpx for 1.x / 2.x
    transport = lib.ASGITransport(app=app)
    async with openai.AsyncOpenAI(
        base_url="http://mockgpt.test/v1",
        api_key="x",
        max_retries=0,
        http_client=lib.AsyncClient(transport=transport, base_url="http://mockgpt.test"),
        _strict_response_validation=True,
    ) as client:
        yield InProcess(client, app.state.engine)
    assert not app.state.engine.errors
