"""Fixtures for the Responses API and conversations tests.

- ``server`` (the session's ``MockServer`` on 127.0.0.1) is reset before and after each test.
- ``stub(...)``: add stubs to it for one test (``Scenario.model_validate`` of ``{"stubs": ...}``).
- ``client``: a sync ``openai.OpenAI`` with ``_strict_response_validation``, so a body the SDK's
  types reject fails the test; ``rapi``: the same calls through the sync *and* the async client
  over the socket, and the sync client in process.
- ``raw``: ``POST /v1/responses`` over the socket, returning the ``httpx.Response``.

Clients are made per test: a keep-alive connection left idle between tests can be closed by
the server (uvicorn's 5 s keep-alive timeout) just as it is reused, which with
``max_retries=0`` fails a test at random on a loaded machine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import openai
import pytest
from anyio.from_thread import BlockingPortal

from mockgpt.scenarios import Scenario
from mockgpt.server import MockServer
from tests.responses.clients import AsyncResponses, ResponsesApi, SyncResponses

MODEL = "gpt-4o-mini"


@pytest.fixture(autouse=True)
def _fresh(server: MockServer) -> Iterator[None]:
    server.engine.reset()
    yield
    server.engine.reset()


@pytest.fixture
def stub(server: MockServer) -> Callable[..., None]:
    """``stub({match, respond, ...}, ...)``: add these stubs, tried before any other."""

    def add(*stubs: dict[str, Any]) -> None:
        server.engine.registry.add(Scenario.model_validate({"name": "test", "stubs": stubs}))

    return add


def _options(server: MockServer) -> dict[str, Any]:
    return {
        "base_url": server.base_url,
        "api_key": "x",
        "max_retries": 0,
        "_strict_response_validation": True,
    }


@pytest.fixture
def strict_client(server: MockServer) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(**_options(server)) as client:
        yield client


@pytest.fixture
def strict_async_client(server: MockServer, portal: BlockingPortal) -> Iterator[openai.AsyncOpenAI]:
    client = openai.AsyncOpenAI(**_options(server))
    yield client
    portal.call(client.close)


@pytest.fixture
def http(server: MockServer) -> Iterator[httpx.Client]:
    """A plain HTTP client on the session server, for raw requests over the socket."""
    with httpx.Client(base_url=server.url, timeout=30) as http:
        yield http


@pytest.fixture
def client(strict_client: openai.OpenAI) -> openai.OpenAI:
    return strict_client


@pytest.fixture
def inproc_client(server: MockServer) -> Iterator[openai.OpenAI]:
    """A strict sync client on the session server's app, served in process (no socket)."""
    options = {**_options(server), "base_url": server.base_url_for("asgi")}
    with openai.OpenAI(**options, http_client=server.http_client("asgi")) as client:
        yield client


@pytest.fixture(params=["sync", "async", "in-process"])
def rapi(
    request: pytest.FixtureRequest,
    strict_client: openai.OpenAI,
    strict_async_client: openai.AsyncOpenAI,
    portal: BlockingPortal,
) -> ResponsesApi:
    """The official client on the session server: sync and async over the socket, and sync
    in process (through the HTTP library's transport, as the pytest plugin's ``asgi``)."""
    if request.param == "sync":
        return SyncResponses(strict_client)
    if request.param == "in-process":
        return SyncResponses(request.getfixturevalue("inproc_client"))
    return AsyncResponses(portal, strict_async_client)


@pytest.fixture
def raw(http: httpx.Client) -> Callable[..., httpx.Response]:
    """``raw(**body)``: ``POST /v1/responses`` with ``{"model": MODEL, **body}``."""

    def post(**body: Any) -> httpx.Response:
        return http.post("/v1/responses", json={"model": MODEL, **body})

    return post
