"""One mockgpt server for the quirk tests; each test adds its stubs and gets a clean state."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import openai
import pytest
from anyio.from_thread import BlockingPortal

from mockgpt import ServerConfig
from mockgpt.server import MockServer
from tests.quirks.matrix import render_plain, scenario
from tests.quirks.wire import Rendered
from tests.scenarios.helpers import Mock


@pytest.fixture(scope="session")
def quirk_server() -> Iterator[MockServer]:
    config = ServerConfig(port=0, api_key="x", models=("m",), strict_models=True)
    with MockServer(config) as server:
        yield server


@pytest.fixture(scope="session")
def http(quirk_server: MockServer) -> Iterator[httpx.Client]:
    """Raw HTTP to the server: the quirks are about bytes the official client forgives."""
    headers = {"authorization": "Bearer x"}
    with httpx.Client(base_url=quirk_server.url, headers=headers, timeout=10) as client:
        yield client


@pytest.fixture(scope="session")
def plain_answers(quirk_server: MockServer, http: httpx.Client) -> dict[tuple[str, str], Rendered]:
    """The matrix rendered without quirks, once."""
    quirk_server.engine.reset()
    quirk_server.engine.registry.add(scenario([]))
    answers = render_plain(http)
    quirk_server.engine.reset()
    return answers


@pytest.fixture(scope="session")
def quirk_client(quirk_server: MockServer) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=quirk_server.base_url, api_key="x", max_retries=0) as client:
        yield client


@pytest.fixture
def mock(
    quirk_server: MockServer, quirk_client: openai.OpenAI, portal: BlockingPortal
) -> Iterator[Mock]:
    """A clean server (no run-time stubs or quirks); fails the test if the server failed."""
    quirk_server.engine.reset()
    yield Mock(quirk_server, portal, {"sync": quirk_client})
    quirk_server.engine.reset()
    errors = list(quirk_server.engine.errors)
    quirk_server.engine.errors.clear()
    assert not errors, f"the server failed while serving this test: {errors!r}"
