"""Fixtures for the Realtime API tests (a WebSocket on the session's ``MockServer``).

- ``server`` is reset before and after each test; ``stub(...)`` adds stubs for one test.
- ``rt``: ``rt.connect(model=...)`` opens ``client.realtime.connect(...)`` with the sync *and*
  the async official client (parametrized), as a ``Conn`` with the same calls for both.
- ``raw_socket(path)``: a plain ``websockets`` client on the server, for raw frames.
- ``pytester`` (registered here) runs a test file that uses the plugin's ``mockgpt`` fixture.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Protocol

import openai
import pytest
from anyio.from_thread import BlockingPortal
from websockets.sync.client import ClientConnection
from websockets.sync.client import connect as ws_connect

from mockgpt.scenarios import Scenario
from mockgpt.server import MockServer

MODEL = "gpt-realtime"
TIMEOUT_S = 30
LEGACY_CONNECT = "ignore:connect\\(\\) must be used as a context manager:DeprecationWarning"
"""openai 2.x's realtime client opens its socket with websockets' ``connect()`` outside a
``with``, which websockets >= 17.1 deprecates: the SDK's warning, not the mock's."""


def user_text(text: str) -> dict[str, Any]:
    """A ``conversation.item.create`` event with one user ``input_text`` message."""
    return {
        "type": "conversation.item.create",
        "item": {
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": text}],
        },
    }


class Conn(Protocol):
    """One Realtime connection through the official client."""

    def send(self, event: dict[str, Any]) -> None: ...
    def recv(self) -> Any: ...


def until(conn: Conn, kind: str) -> list[Any]:
    """The events received up to and with the first of type ``kind``."""
    events = []
    while True:
        event = conn.recv()
        events.append(event)
        if event.type == kind:
            return events


class _AsyncConn:
    """An ``AsyncRealtimeConnection`` driven from the test's thread through a portal."""

    def __init__(self, portal: BlockingPortal, conn: Any) -> None:
        self.portal = portal
        self.conn = conn

    def send(self, event: dict[str, Any]) -> None:
        self.portal.call(self.conn.send, event)

    def recv(self) -> Any:
        return self.portal.call(self.conn.recv)


class Realtime:
    """Opens Realtime connections with the sync or the async official client."""

    def __init__(self, kind: str, server: MockServer, portal: BlockingPortal) -> None:
        self.kind = kind
        self.server = server
        self.portal = portal

    def connect(self, api_key: str = "x", **kwargs: Any) -> AbstractContextManager[Conn]:
        options: dict[str, Any] = {"base_url": self.server.base_url, "api_key": api_key}
        kwargs.setdefault("model", MODEL)
        if self.kind == "sync":
            return self._sync(options, kwargs)
        return self._async(options, kwargs)

    @contextmanager
    def _sync(self, options: dict[str, Any], kwargs: dict[str, Any]) -> Iterator[Conn]:
        with openai.OpenAI(**options) as client, client.realtime.connect(**kwargs) as conn:
            yield conn

    @contextmanager
    def _async(self, options: dict[str, Any], kwargs: dict[str, Any]) -> Iterator[Conn]:
        async def open_() -> tuple[Any, Any, Any]:
            client = openai.AsyncOpenAI(**options)
            manager = client.realtime.connect(**kwargs)
            return client, manager, await manager.__aenter__()

        client, manager, conn = self.portal.call(open_)

        async def close() -> None:
            await manager.__aexit__(None, None, None)
            await client.close()

        try:
            yield _AsyncConn(self.portal, conn)
        finally:
            self.portal.call(close)


def pytest_configure(config: pytest.Config) -> None:
    # pytester, for the plugin helpers' tests (pytest_plugins is only allowed at the root)
    if not config.pluginmanager.has_plugin("pytester"):
        config.pluginmanager.import_plugin("pytester")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.filterwarnings(LEGACY_CONNECT))


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


@pytest.fixture(params=["sync", "async"])
def rt(request: pytest.FixtureRequest, server: MockServer, portal: BlockingPortal) -> Realtime:
    return Realtime(request.param, server, portal)


@pytest.fixture
def raw_socket(server: MockServer) -> Callable[..., AbstractContextManager[ClientConnection]]:
    """``raw_socket(path="/v1/realtime?model=m", **options)``: a ``websockets`` connection."""

    def open_(path: str = f"/v1/realtime?model={MODEL}", **options: Any) -> ClientConnection:
        options.setdefault("additional_headers", {"Authorization": "Bearer x"})
        url = server.url.replace("http://", "ws://") + path
        return ws_connect(url, open_timeout=TIMEOUT_S, close_timeout=TIMEOUT_S, **options)

    return open_
