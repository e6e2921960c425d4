"""Fixtures for Ollama's native API: a server over a socket and an app in process, both reset
per test, and ``Wire``: the same raw calls through either transport."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from anyio.from_thread import BlockingPortal

from mockgpt import ServerConfig, create_app
from mockgpt.engine import Engine
from mockgpt.journal import JournalEntry
from mockgpt.scenarios import Scenario
from mockgpt.server import MockServer
from tests.support import InProcess

MODELS = ("llama3", "llama3.2:1b", "nomic-embed-text", "gpt-4o-mini")
"""The models the servers here list (not strict: other names are answered too)."""

RFC3339_NANO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,9})?Z$")
"""``created_at`` as Go's ``time.RFC3339Nano`` writes it in UTC."""

METRICS = (
    "total_duration",
    "load_duration",
    "prompt_eval_count",
    "prompt_eval_duration",
    "eval_count",
    "eval_duration",
)


@dataclass
class Wire:
    """Raw HTTP to one mockgpt, over a socket or in process."""

    kind: str
    engine: Engine
    client: httpx.Client | InProcess

    def post(
        self, path: str, body: object = None, *, content: bytes | None = None
    ) -> httpx.Response:
        if isinstance(self.client, InProcess):
            if content is not None:
                return self.client.request("POST", path, content=content)
            return self.client.post(path, body)
        if content is not None:
            return self.client.post(path, content=content)
        return self.client.post(path, json=body)

    def get(self, path: str) -> httpx.Response:
        return self.client.get(path)

    def stub(self, *stubs: dict[str, Any], **scenario: Any) -> None:
        """Add stubs (scenario-file shape) that are tried before the loaded ones."""
        self.engine.registry.add(
            Scenario.model_validate({"name": "test", **scenario, "stubs": list(stubs)})
        )


def _check_errors(engine: Engine) -> None:
    errors = list(engine.errors)
    engine.errors.clear()
    assert not errors, f"the server failed while serving this test: {errors!r}"


@pytest.fixture(scope="module")
def ollama_server() -> Iterator[MockServer]:
    with MockServer(ServerConfig(port=0, models=MODELS)) as server:
        yield server


@pytest.fixture(scope="module")
def ollama_asgi(portal: BlockingPortal) -> Iterator[InProcess]:
    client = InProcess(portal, create_app(ServerConfig(port=0, models=MODELS)))
    yield client
    client.close()


@pytest.fixture(scope="module")
def ollama_http(ollama_server: MockServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=ollama_server.url, timeout=10) as client:
        yield client


@pytest.fixture
def socket_wire(ollama_server: MockServer, ollama_http: httpx.Client) -> Iterator[Wire]:
    """Raw HTTP over a real socket (streams arrive as they are sent)."""
    ollama_server.engine.reset()
    yield Wire("socket", ollama_server.engine, ollama_http)
    _check_errors(ollama_server.engine)


@pytest.fixture
def asgi_wire(ollama_asgi: InProcess) -> Iterator[Wire]:
    engine: Engine = ollama_asgi.app.state.engine  # type: ignore[attr-defined]
    engine.reset()
    yield Wire("asgi", engine, ollama_asgi)
    _check_errors(engine)


@pytest.fixture(params=["socket", "asgi"])
def wire(request: pytest.FixtureRequest) -> Wire:
    """The same test over a socket and in process."""
    fixture: Wire = request.getfixturevalue(f"{request.param}_wire")
    return fixture


def split_ndjson(response: httpx.Response) -> list[dict[str, Any]]:
    """The objects of an NDJSON stream, asserting its framing and its ``done`` flags.

    Every line is one JSON object ending with ``\\n`` (no ``\\r``, no blank line); every object
    but the last has ``done: false``, the last ``done: true``.
    """
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/x-ndjson"
    body = response.content
    assert body.endswith(b"\n"), body[-80:]
    objects = []
    for line in body[:-1].split(b"\n"):
        assert line, body
        assert b"\r" not in line
        value = json.loads(line)
        assert isinstance(value, dict), line
        objects.append(value)
    assert [o["done"] for o in objects] == [False] * (len(objects) - 1) + [True]
    return objects


def assert_final(final: dict[str, Any], done_reason: str = "stop") -> None:
    """The last object of an answer: ``done``, ``done_reason`` and the metrics as Ollama sends."""
    assert final["done"] is True
    assert final["done_reason"] == done_reason
    assert RFC3339_NANO.match(final["created_at"]), final["created_at"]
    for key in METRICS:
        assert isinstance(final[key], int), (key, final)
    for key in ("total_duration", "load_duration", "prompt_eval_duration", "eval_duration"):
        assert final[key] > 0, (key, final)
    assert final["total_duration"] >= (
        final["load_duration"] + final["prompt_eval_duration"] + final["eval_duration"]
    )


def journalled(engine: Engine, count: int, timeout_s: float = 10.0) -> list[JournalEntry]:
    """The journal once it holds ``count`` entries.

    An entry is recorded after its response was sent, so a client can read a whole answer
    before the server has journalled it; this waits for the server to catch up.
    """
    deadline = time.monotonic() + timeout_s
    while len(engine.journal) < count:
        assert time.monotonic() < deadline, f"{len(engine.journal)} of {count} entries journalled"
        time.sleep(0.001)
    return engine.journal.entries()
