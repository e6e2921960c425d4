"""Fixtures for background responses and webhooks.

- ``server`` (the session's ``MockServer``) is reset before and after each test, and sends
  no webhooks unless a test asks (``receiver``).
- ``stub(...)``: add stubs for one test.
- ``bapi``: the official client, sync and async over the socket (``tests.responses.clients``).
- ``receiver``: a webhook receiver; the server's webhooks go to it, signed with ``SECRET``,
  retried at once (no backoff).
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
from mockgpt.webhooks import WebhookTarget
from tests.background.receiver import Receiver, webhooks_to
from tests.responses.clients import AsyncResponses, ResponsesApi, SyncResponses

MODEL = "gpt-4o-mini"
SECRET = "whsec_" + "bW9ja2dwdC10ZXN0LXNlY3JldC1rZXk="  # base64 of "mockgpt-test-secret-key"


@pytest.fixture(autouse=True)
def _fresh(server: MockServer) -> Iterator[None]:
    server.engine.reset()
    yield
    server.engine.reset()
    server.engine.webhooks.target = WebhookTarget()


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


@pytest.fixture(params=["sync", "async"])
def bapi(
    request: pytest.FixtureRequest,
    strict_client: openai.OpenAI,
    strict_async_client: openai.AsyncOpenAI,
    portal: BlockingPortal,
) -> ResponsesApi:
    """The official client on the session server, sync and async over the socket."""
    if request.param == "sync":
        return SyncResponses(strict_client)
    return AsyncResponses(portal, strict_async_client)


@pytest.fixture
def http(server: MockServer) -> Iterator[httpx.Client]:
    """A plain HTTP client on the session server, for raw requests over the socket."""
    with httpx.Client(base_url=server.url, timeout=30) as http:
        yield http


@pytest.fixture
def receiver(server: MockServer) -> Iterator[Receiver]:
    """A webhook receiver the session server sends to (signed with ``SECRET``, no backoff)."""
    with webhooks_to(server.engine, SECRET) as receiver:
        yield receiver
