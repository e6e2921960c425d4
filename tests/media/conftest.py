"""Fixtures for the moderations, images and audio tests.

- ``server`` (the session's ``MockServer`` on 127.0.0.1) is reset before and after each test.
- ``stub({...}, ...)``: add stubs for one test.
- ``call(fn)``: ``fn(client)`` through the sync *and* the async official client (parametrized,
  ids ``sync`` / ``async``), with ``_strict_response_validation`` so a body the SDK's types
  reject fails the test; an awaitable result (the async client's) is awaited.
- ``entries()``: the journal's entries as ``Call``s, oldest first.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from typing import Any

import openai
import pytest
from anyio.from_thread import BlockingPortal

from mockgpt.scenarios import Scenario
from mockgpt.server import MockServer
from mockgpt.testing.calls import Call


@pytest.fixture(autouse=True)
def _fresh(server: MockServer) -> Iterator[None]:
    server.engine.reset()
    yield
    server.engine.reset()
    errors = list(server.engine.errors)
    server.engine.errors.clear()
    assert not errors, errors


@pytest.fixture
def stub(server: MockServer) -> Callable[..., None]:
    """``stub({match, respond, ...}, ...)``: add these stubs, tried before any other."""

    def add(*stubs: dict[str, Any]) -> None:
        server.engine.registry.add(Scenario.model_validate({"name": "test", "stubs": stubs}))

    return add


def options(server: MockServer) -> dict[str, Any]:
    """The clients' settings: no retries, strict response validation."""
    return {
        "base_url": server.base_url,
        "api_key": "x",
        "max_retries": 0,
        "_strict_response_validation": True,
    }


Client = Any
"""``openai.OpenAI`` or ``openai.AsyncOpenAI``."""


@pytest.fixture(params=["sync", "async"])
def call(
    request: pytest.FixtureRequest, server: MockServer, portal: BlockingPortal
) -> Callable[[Callable[[Client], Any]], Any]:
    def run(fn: Callable[[Client], Any]) -> Any:
        if request.param == "sync":
            with openai.OpenAI(**options(server)) as client:
                return fn(client)

        async def go() -> Any:
            async with openai.AsyncOpenAI(**options(server)) as client:
                result = fn(client)
                return await result if inspect.isawaitable(result) else result

        return portal.call(go)

    return run


@pytest.fixture
def client(server: MockServer) -> Iterator[openai.OpenAI]:
    with openai.OpenAI(**options(server)) as client:
        yield client


@pytest.fixture
def entries(server: MockServer) -> Callable[[], list[Call]]:
    def read() -> list[Call]:
        return [Call(e, i) for i, e in enumerate(server.engine.journal.entries(), start=1)]

    return read
