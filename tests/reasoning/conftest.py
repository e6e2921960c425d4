"""Fixtures for the reasoning tests: the session server, reset per test, and its clients.

- ``stub(...)``: add stubs to the session server for one test.
- ``rapi``: the official client's Responses calls, sync and async over the socket and sync in
  process, each with ``_strict_response_validation`` (a body the SDK's types reject fails).
- ``chat_api``: the official client's chat calls, sync and async over the socket.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import openai
import pytest
from anyio.from_thread import BlockingPortal

from mockgpt.scenarios import Scenario
from mockgpt.server import MockServer
from tests.responses.clients import AsyncResponses, ResponsesApi, SyncResponses
from tests.support import Api, AsyncApi, SyncApi

REASONING_MODEL = "o4-mini"
PLAIN_MODEL = "gpt-4o-mini"


@pytest.fixture(autouse=True)
def _fresh(server: MockServer) -> Iterator[None]:
    server.engine.reset()
    yield
    server.engine.reset()


@pytest.fixture
def stub(server: MockServer) -> Callable[..., None]:
    """``stub({match, respond, ...}, ..., quirks=[...])``: add these stubs for one test."""

    def add(*stubs: dict[str, Any], quirks: tuple[str, ...] = ()) -> None:
        scenario = {"name": "test", "stubs": list(stubs), "quirks": list(quirks)}
        server.engine.registry.add(Scenario.model_validate(scenario))

    return add


def _options(server: MockServer) -> dict[str, Any]:
    return {
        "base_url": server.base_url,
        "api_key": "x",
        "max_retries": 0,
        "_strict_response_validation": True,
    }


@pytest.fixture(params=["sync", "async", "in-process"])
def rapi(
    request: pytest.FixtureRequest, server: MockServer, portal: BlockingPortal
) -> Iterator[ResponsesApi]:
    """The Responses calls through the sync and async clients, and in process."""
    if request.param == "sync":
        with openai.OpenAI(**_options(server)) as client:
            yield SyncResponses(client)
    elif request.param == "in-process":
        options = {**_options(server), "base_url": server.base_url_for("asgi")}
        with openai.OpenAI(**options, http_client=server.http_client("asgi")) as client:
            yield SyncResponses(client)
    else:
        async_client = openai.AsyncOpenAI(**_options(server))
        yield AsyncResponses(portal, async_client)
        portal.call(async_client.close)


@pytest.fixture(params=["sync", "async"])
def chat_api(
    request: pytest.FixtureRequest, server: MockServer, portal: BlockingPortal
) -> Iterator[Api]:
    """The chat calls through the sync and the async client, over the socket."""
    if request.param == "sync":
        api: Api = SyncApi(openai.OpenAI(**_options(server)))
    else:
        api = AsyncApi(portal, openai.AsyncOpenAI(**_options(server)))
    yield api
    api.close()
