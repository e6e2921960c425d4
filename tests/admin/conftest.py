"""The admin API's tests: one real server per module, reset before each test.

``admin`` is a raw HTTP client on ``/_mockgpt/``; ``client(test_id)`` is the official
``openai`` client, sending the test id header when given, that makes the traffic.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import openai
import pytest

from mockgpt import ServerConfig
from mockgpt.scenarios import load_scenario_data
from mockgpt.server import MockServer

TEST_HEADER = "X-Mockgpt-Test"
SHARED = load_scenario_data(
    {
        "name": "shared",
        "stubs": [
            {"id": "greet", "match": {"last_user": "hello"}, "respond": {"content": "shared hi"}},
            {
                "id": "count",
                "match": {"last_user": "count"},
                "sequence": [{"content": "one"}, {"content": "two"}, {"content": "three"}],
            },
            {"match": {"last_user": "bye"}, "respond": {"content": "shared bye"}},
        ],
    }
)
"""The scenario every admin test's server loads: ``greet``, ``count`` and ``shared.stubs[2]``."""

Client = Callable[..., openai.OpenAI]


def user(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


def say(client: openai.OpenAI, text: str) -> str | None:
    """The content of a chat completion answering ``text``."""
    reply = client.chat.completions.create(model="gpt-4o-mini", messages=user(text))
    return reply.choices[0].message.content


@pytest.fixture(scope="module")
def mock_server() -> Iterator[MockServer]:
    with MockServer(ServerConfig(port=0), scenarios=[SHARED]) as server:
        yield server


@pytest.fixture
def mock(mock_server: MockServer) -> Iterator[MockServer]:
    """The module's server, reset to its scenario; a test during which it failed (a 500)
    fails."""
    mock_server.wait_idle(10)
    mock_server.engine.reset()
    mock_server.engine.registry.replace_base(mock_server.scenarios)
    yield mock_server
    errors = list(mock_server.engine.errors)
    mock_server.engine.errors.clear()
    assert not errors, f"the server failed while serving this test: {errors!r}"


@pytest.fixture
def admin(mock: MockServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{mock.url}/_mockgpt", timeout=30) as admin:
        yield admin


@pytest.fixture
def client(mock: MockServer) -> Iterator[Client]:
    """``client(test_id=None)``: an official client, sending the test id header when given."""
    made: list[openai.OpenAI] = []

    def make(test_id: str | None = None) -> openai.OpenAI:
        headers = {TEST_HEADER: test_id} if test_id is not None else None
        made.append(
            openai.OpenAI(
                base_url=mock.base_url, api_key="x", max_retries=0, default_headers=headers
            )
        )
        return made[-1]

    yield make
    for each in made:
        each.close()


def journal(admin: httpx.Client, test_id: str | None = None, **params: object) -> list[dict]:
    """The journal's entries (of ``test_id``), after every answered request is journalled."""
    headers = {TEST_HEADER: test_id} if test_id is not None else {}
    answer = admin.get("/journal", params=params, headers=headers)
    assert answer.status_code == 200, answer.text
    data: list[dict] = answer.json()["data"]
    return data
