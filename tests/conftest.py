"""Fixtures: one real mockgpt server per session, official clients bound to it, in-process apps.

- ``server``: ``MockServer`` on 127.0.0.1 and a free port, started once.
- ``client`` / ``async_client``: ``openai.OpenAI`` / ``openai.AsyncOpenAI`` on ``server``.
- ``api``: the same calls through the sync *and* the async client (parametrized, ids
  ``sync`` / ``async``), so every behaviour is checked through both.
- ``asgi``: raw requests to an app served in process (``httpx.ASGITransport``), for speed.
- ``api_for`` / ``make_asgi``: clients for servers and apps with special settings (those
  servers are module-scoped fixtures next to their tests).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import anyio.from_thread
import httpx
import openai
import pytest
from anyio.from_thread import BlockingPortal
from hypothesis import settings

from mockgpt import ServerConfig, create_app
from mockgpt.server import MockServer
from tests.support import Api, AsyncApi, InProcess, SyncApi

settings.register_profile("thorough", max_examples=2000, deadline=None)
"""``pytest --hypothesis-profile=thorough``: many more examples, for a change to the wire code."""


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def portal() -> Iterator[BlockingPortal]:
    """An event loop in a thread, for the async client and the in-process app."""
    with anyio.from_thread.start_blocking_portal(backend="asyncio") as portal:
        yield portal


@pytest.fixture(scope="session")
def server() -> Iterator[MockServer]:
    with MockServer(ServerConfig(port=0)) as server:
        yield server


@pytest.fixture(scope="session")
def client(server: MockServer) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(base_url=server.base_url, api_key="x", max_retries=0) as client:
        yield client


@pytest.fixture
async def async_client(server: MockServer) -> AsyncIterator[openai.AsyncOpenAI]:
    """An ``AsyncOpenAI`` on the test's own event loop (for ``@pytest.mark.anyio`` tests)."""
    async with openai.AsyncOpenAI(base_url=server.base_url, api_key="x", max_retries=0) as client:
        yield client


@pytest.fixture(scope="session")
def http(server: MockServer) -> Iterator[httpx.Client]:
    """A plain HTTP client on the session server, for raw requests over the socket."""
    with httpx.Client(base_url=server.url, timeout=30) as http:
        yield http


class _Apis:
    """Official clients by (kind, base URL, key), made on first use and closed at the end."""

    def __init__(self, portal: BlockingPortal) -> None:
        self.portal = portal
        self.made: dict[tuple[str, str, str], Api] = {}

    def get(self, kind: str, base_url: str, api_key: str = "x") -> Api:
        key = (kind, base_url, api_key)
        if key not in self.made:
            options: dict[str, Any] = {"base_url": base_url, "api_key": api_key, "max_retries": 0}
            if kind == "sync":
                self.made[key] = SyncApi(openai.OpenAI(**options))
            else:
                self.made[key] = AsyncApi(self.portal, openai.AsyncOpenAI(**options))
        return self.made[key]

    def close(self) -> None:
        for api in self.made.values():
            api.close()


@pytest.fixture(scope="session")
def _apis(portal: BlockingPortal) -> Iterator[_Apis]:
    apis = _Apis(portal)
    yield apis
    apis.close()


@pytest.fixture(params=["sync", "async"])
def api_kind(request: pytest.FixtureRequest) -> str:
    kind: str = request.param
    return kind


@pytest.fixture
def api_for(_apis: _Apis, api_kind: str) -> Callable[..., Api]:
    """``api_for(server, api_key="x")``: the sync or async client for another server."""

    def make(server: MockServer, api_key: str = "x") -> Api:
        return _apis.get(api_kind, server.base_url, api_key)

    return make


@pytest.fixture
def api(api_for: Callable[..., Api], server: MockServer) -> Api:
    """The official client (sync, then async) on the session server."""
    return api_for(server)


@pytest.fixture(scope="session")
def asgi(portal: BlockingPortal) -> Iterator[InProcess]:
    """Raw HTTP to a default-config app served in process."""
    client = InProcess(portal, create_app(ServerConfig(port=0)))
    yield client
    client.close()


@pytest.fixture(scope="session")
def make_asgi(portal: BlockingPortal) -> Iterator[Callable[..., InProcess]]:
    """``make_asgi(**settings)``: raw HTTP to an in-process app with special settings."""
    made: list[InProcess] = []

    def make(**settings: Any) -> InProcess:
        client = InProcess(portal, create_app(ServerConfig(port=0, **settings)))
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


_CALL_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.stash[_CALL_FAILED] = report.failed
    return report


@pytest.fixture(autouse=True)
def _no_server_errors(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail a passing test during which a server it used recorded a bug (a 500).

    A test that already failed keeps its own failure; the recorded errors are dropped.
    """
    yield
    engines = []
    if "server" in request.fixturenames:
        engines.append(request.getfixturevalue("server").engine)
    if "asgi" in request.fixturenames:
        engines.append(request.getfixturevalue("asgi").app.state.engine)
    for engine in engines:
        errors = list(engine.errors)
        engine.errors.clear()
        if not request.node.stash.get(_CALL_FAILED, False):
            assert not errors, f"the server failed while serving this test: {errors!r}"
