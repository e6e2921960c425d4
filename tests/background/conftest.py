"""Fixtures for background responses and webhooks.

- ``server`` (the session's ``MockServer``) is reset before and after each test, and sends
  no webhooks unless a test asks (``receiver``).
- ``stub(...)``: add stubs for one test.
- ``bapi``: the official client, sync and async over the socket (``tests.responses.clients``).
- ``receiver``: a webhook receiver; the server's webhooks go to it, signed with ``SECRET``,
  retried at once (no backoff).
"""

from __future__ import annotations

from collections.abc import Iterator

import openai
import pytest
from anyio.from_thread import BlockingPortal

from mockgpt.server import MockServer
from mockgpt.webhooks import WebhookTarget
from tests.background.receiver import Receiver, webhooks_to
from tests.responses import conftest as responses
from tests.responses.clients import AsyncResponses, ResponsesApi, SyncResponses

MODEL = "gpt-4o-mini"
# the Responses tests' fixtures, used here as they are
stub = responses.stub
strict_client = responses.strict_client
strict_async_client = responses.strict_async_client
http = responses.http

SECRET = "whsec_" + "bW9ja2dwdC10ZXN0LXNlY3JldC1rZXk="  # base64 of "mockgpt-test-secret-key"


@pytest.fixture(autouse=True)
def _fresh(server: MockServer) -> Iterator[None]:
    server.engine.reset()
    yield
    server.engine.reset()
    server.engine.webhooks.target = WebhookTarget()


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
def receiver(server: MockServer) -> Iterator[Receiver]:
    """A webhook receiver the session server sends to (signed with ``SECRET``, no backoff)."""
    with webhooks_to(server.engine, SECRET) as receiver:
        yield receiver
