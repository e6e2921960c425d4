"""Fixtures for the proxy tests beyond ``test_proxy.py`` (which keeps its own).

- ``scripted_upstream``: a mockgpt with ``UPSTREAM_STUBS``, reset per test, as the upstream.
- ``proxy_server``: a mockgpt whose fallback is ``scripted_upstream``, reset per test.
- ``upstream_requests(server)``: what reached the upstream, as ``(path, JSON body)`` pairs.

Both servers must end each test without a server-side error.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from mockgpt.config import ServerConfig
from mockgpt.scenarios import Scenario
from mockgpt.server import MockServer

UPSTREAM_STUBS: list[dict[str, Any]] = [
    {
        "id": "weather-answer",
        "match": {"tool_result": {"name": "get_weather"}},
        "respond": {"content": "Oslo: {{ messages[-1].content }}"},
    },
    {
        "id": "weather",
        "match": {"last_user": {"contains": "weather"}},
        "respond": {"tool_calls": [{"name": "get_weather", "arguments": {"city": "Oslo"}}]},
    },
    {
        "id": "limited",
        "match": {"last_user": {"contains": "limit me"}},
        "respond": {"error": {"status": 429, "retry_after": 7, "message": "slow down"}},
    },
    {
        "id": "breaks-early",
        "match": {"last_user": {"contains": "break early"}},
        "respond": {"content": "never seen"},
        "fault": {"error_after_chunks": 0, "error_event": {"status": 500, "message": "no luck"}},
    },
    {
        "id": "breaks",
        "match": {"last_user": {"contains": "break"}},
        "respond": {"content": "one two three four five six"},
        "fault": {"error_after_chunks": 4, "error_event": {"status": 500, "message": "it broke"}},
    },
]
"""A tool call and its answer, an HTTP error, and streams an error event interrupts."""


@pytest.fixture(scope="module")
def _upstream() -> Iterator[MockServer]:
    with MockServer(ServerConfig(port=0, log_level="warning")) as server:
        yield server


@pytest.fixture
def scripted_upstream(_upstream: MockServer) -> Iterator[MockServer]:
    _upstream.engine.reset()
    _upstream.engine.registry.add(Scenario.model_validate({"name": "u", "stubs": UPSTREAM_STUBS}))
    yield _upstream
    assert not _upstream.engine.errors


@pytest.fixture(scope="module")
def _proxy(_upstream: MockServer) -> Iterator[MockServer]:
    config = ServerConfig(port=0, upstream=_upstream.base_url, log_level="warning")
    with MockServer(config) as server:
        yield server


@pytest.fixture
def proxy_server(_proxy: MockServer, scripted_upstream: MockServer) -> Iterator[MockServer]:
    _proxy.engine.reset()
    yield _proxy
    assert not _proxy.engine.errors


def upstream_requests(server: MockServer) -> list[tuple[str, Any]]:
    """``(path, JSON body)`` of each request that reached ``server``, oldest first."""
    return [(e.path, e.json) for e in server.engine.journal.entries()]
