"""One mockgpt server for the scenario tests; each test adds its stubs and gets a clean state."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import openai
import pytest
from anyio.from_thread import BlockingPortal

from mockgpt import ServerConfig
from mockgpt.server import MockServer
from tests.scenarios.helpers import Mock


@pytest.fixture(scope="session")
def stub_server() -> Iterator[MockServer]:
    with MockServer(ServerConfig(port=0)) as server:
        yield server


@pytest.fixture(scope="session")
def stub_clients(
    stub_server: MockServer, portal: BlockingPortal
) -> Iterator[dict[str, openai.OpenAI | openai.AsyncOpenAI]]:
    """The official clients on ``stub_server``, made once (making one costs ~0.1 s)."""
    sync = openai.OpenAI(base_url=stub_server.base_url, api_key="x", max_retries=0)
    aio = openai.AsyncOpenAI(base_url=stub_server.base_url, api_key="x", max_retries=0)
    yield {"sync": sync, "async": aio}
    sync.close()

    async def close() -> None:
        await aio.close()

    portal.call(close)


@pytest.fixture(scope="session")
def stub_http(stub_server: MockServer) -> Iterator[httpx.Client]:
    """Raw HTTP to ``stub_server``."""
    with httpx.Client(base_url=stub_server.url, timeout=10) as client:
        yield client


@pytest.fixture
def mock(
    stub_server: MockServer,
    stub_clients: dict[str, openai.OpenAI | openai.AsyncOpenAI],
    portal: BlockingPortal,
) -> Iterator[Mock]:
    """A clean server (no run-time stubs, counts, chaos state) and this test's journal."""
    stub_server.engine.reset()
    yield Mock(stub_server, portal, stub_clients)
    stub_server.engine.reset()
    errors = list(stub_server.engine.errors)
    stub_server.engine.errors.clear()
    assert not errors, f"the server failed while serving this test: {errors!r}"
