"""Fixtures for the Files and Batches tests.

- ``server`` (the session's ``MockServer`` on 127.0.0.1) is reset before and after each test.
- ``stub(...)``: add stubs to it for one test.
- ``files_api``: the official client, sync then async (parametrized), over the socket; each
  call is ``files_api("files.create", file=..., purpose="batch")`` and returns what the
  client returns (``files.content`` gives the bytes).

Clients are made per test (a keep-alive connection idle between tests can be closed by the
server just as it is reused).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import openai
import pytest
from anyio.from_thread import BlockingPortal

from mockgpt.scenarios import Scenario
from mockgpt.server import MockServer

MODEL = "gpt-4o-mini"
CHAT = "/v1/chat/completions"


def chat_line(custom_id: str, text: str, *, model: str = MODEL, **extra: Any) -> dict[str, Any]:
    """One batch input line: a chat completion of one user message."""
    return {
        "custom_id": custom_id,
        "method": "POST",
        "url": CHAT,
        "body": {"model": model, "messages": [{"role": "user", "content": text}], **extra},
    }


def jsonl(lines: list[Any]) -> bytes:
    """The lines as a JSONL file (a line given as bytes is written as it is)."""
    return b"\n".join(
        line if isinstance(line, bytes) else json.dumps(line).encode() for line in lines
    )


def read_jsonl(content: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in content.splitlines() if line.strip()]


class FilesApi:
    """The official client's ``files`` and ``batches`` calls, sync or async (on a portal)."""

    def __init__(self, kind: str, server: MockServer, portal: BlockingPortal, **options: Any):
        self.kind = kind
        self.portal = portal
        settings: dict[str, Any] = {
            "base_url": server.base_url,
            "api_key": "x",
            "max_retries": 0,
            **options,
        }
        self.client: Any = (
            openai.OpenAI(**settings) if kind == "sync" else openai.AsyncOpenAI(**settings)
        )

    def __call__(self, path: str, *args: Any, **kwargs: Any) -> Any:
        target: Any = self.client
        for name in path.split("."):
            target = getattr(target, name)
        if self.kind == "sync":
            result = target(*args, **kwargs)
        else:

            async def call() -> Any:
                value = await target(*args, **kwargs)
                if path.endswith(".list"):  # an async page: every item, read on this loop
                    return [item async for item in value], value
                return value

            result = self.portal.call(call)
            if path.endswith(".list"):
                items, page = result
                return _Page(items, page)
        if path == "files.content":
            return result.content
        if path.endswith(".list"):
            return _Page(list(result), result)
        return result

    def upload(self, content: bytes, purpose: str = "batch", name: str = "in.jsonl") -> Any:
        return self("files.create", file=(name, content), purpose=purpose)

    def close(self) -> None:
        if self.kind == "sync":
            self.client.close()
        else:
            self.portal.call(self.client.close)


class _Page:
    """A listed page: its items (every page, as the client iterates) and the first page."""

    def __init__(self, items: list[Any], page: Any) -> None:
        self.items = items
        self.page = page


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
def files_api(
    request: pytest.FixtureRequest, server: MockServer, portal: BlockingPortal
) -> Iterator[FilesApi]:
    api = FilesApi(request.param, server, portal)
    yield api
    api.close()
