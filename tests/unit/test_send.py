"""The one sender, for every family: delays on the clock, waits ended by a disconnect, quirks
on scripted errors, and one write when nothing is paced or faulted.

The app is driven as an ASGI callable with a fake ``receive`` / ``send`` and a fake clock, so
nothing waits and a wait that a disconnect does not end shows up as a timeout.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import anyio
import pytest

from mockgpt.app import create_app
from mockgpt.config import ServerConfig
from mockgpt.engine import Engine
from mockgpt.faults import ConnectionDropped
from mockgpt.scenarios import Scenario

pytestmark = pytest.mark.anyio

USER = [{"role": "user", "content": "hi"}]


@dataclass
class FakeClock:
    """Records every sleep; ``forever`` makes each sleep last until it is cancelled."""

    forever: bool = False
    sleeps: list[float] = field(default_factory=list)

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        if self.forever:
            await anyio.sleep_forever()


@dataclass
class Exchange:
    status: int = 0
    headers: dict[bytes, bytes] = field(default_factory=dict)
    body: bytes = b""
    writes: int = 0
    dropped: bool = False

    @property
    def json(self) -> Any:
        return json.loads(self.body)


async def call(
    app: Any,
    method: str,
    path: str,
    body: Any = None,
    *,
    disconnect: bool = False,
) -> Exchange:
    """One request through the ASGI app; ``disconnect``: the client leaves after the body."""
    raw = b"" if body is None else json.dumps(body).encode()
    sent_body = False
    out = Exchange()

    async def receive() -> dict[str, Any]:
        nonlocal sent_body
        if not sent_body:
            sent_body = True
            return {"type": "http.request", "body": raw, "more_body": False}
        if disconnect:
            return {"type": "http.disconnect"}
        await anyio.sleep_forever()
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            out.status = message["status"]
            out.headers = dict(message.get("headers", []))
        elif message["type"] == "http.response.body":
            out.body += message.get("body", b"")
            out.writes += 1

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"mockgpt.test"), (b"content-type", b"application/json")],
        "client": ("127.0.0.1", 1),
        "server": ("mockgpt.test", 80),
    }
    try:
        with anyio.fail_after(5):
            await app(scope, receive, send)
    except ConnectionDropped:
        out.dropped = True
    return out


def make_app(stub: dict[str, Any], clock: FakeClock) -> tuple[Any, Engine]:
    scenario = Scenario.model_validate({"name": "t", "stubs": [{"id": "s", **stub}]})
    engine = Engine(ServerConfig(), clock=clock)
    engine.registry.add(scenario)
    return create_app(engine=engine), engine


async def _assistant_run(app: Any, stream: bool) -> tuple[str, dict[str, Any]]:
    created = await call(app, "POST", "/v1/assistants", {"model": "m"})
    body = {
        "assistant_id": created.json["id"],
        "thread": {"messages": USER},
        "stream": stream,
    }
    return "/v1/threads/runs", body


Request = Callable[[bool], tuple[str, dict[str, Any]]]

FAMILIES: dict[str, Request] = {
    "chat": lambda s: ("/v1/chat/completions", {"model": "m", "messages": USER, "stream": s}),
    "completions": lambda s: ("/v1/completions", {"model": "m", "prompt": "hi", "stream": s}),
    "responses": lambda s: ("/v1/responses", {"model": "m", "input": "hi", "stream": s}),
    "ollama-chat": lambda s: ("/api/chat", {"model": "m", "messages": USER, "stream": s}),
    "ollama-generate": lambda s: ("/api/generate", {"model": "m", "prompt": "hi", "stream": s}),
}
STREAMED = [(name, stream) for name in FAMILIES for stream in (False, True)]
IDS = [f"{name}-{'stream' if stream else 'json'}" for name, stream in STREAMED]


async def request_of(app: Any, family: str, stream: bool) -> tuple[str, dict[str, Any]]:
    if family == "assistants":
        return await _assistant_run(app, stream)
    if family == "embeddings":
        return "/v1/embeddings", {"model": "m", "input": "hi"}
    return FAMILIES[family](stream)


EVERY = [*STREAMED, ("assistants", False), ("assistants", True), ("embeddings", False)]
EVERY_IDS = [*IDS, "assistants-json", "assistants-stream", "embeddings"]


@pytest.mark.parametrize(("family", "stream"), EVERY, ids=EVERY_IDS)
async def test_send_delay_waits_on_the_clock(family: str, stream: bool) -> None:
    """A ``delay_ms`` fault sleeps on the engine's clock (fails if the delay is skipped)."""
    clock = FakeClock()
    app, _ = make_app({"respond": {"content": "ok"}, "fault": {"delay_ms": 1234}}, clock)
    path, body = await request_of(app, family, stream)

    answer = await call(app, "POST", path, body)

    assert answer.status == 200
    assert clock.sleeps[0] == pytest.approx(1.234)


@pytest.mark.parametrize(("family", "stream"), EVERY, ids=EVERY_IDS)
async def test_send_delay_ends_on_disconnect(family: str, stream: bool) -> None:
    """A client that leaves during a delay ends the wait at once and is journalled so."""
    clock = FakeClock(forever=True)
    app, engine = make_app({"respond": {"content": "ok"}, "fault": {"delay_ms": 3_600_000}}, clock)
    path, body = await request_of(app, family, stream)

    answer = await call(app, "POST", path, body, disconnect=True)

    assert answer.status == 0  # nothing was sent
    entry = engine.journal.entries()[-1]
    assert entry.path == path
    assert entry.disconnected


@pytest.mark.parametrize(("family", "stream"), STREAMED, ids=IDS)
async def test_send_stall_ends_on_disconnect(family: str, stream: bool) -> None:
    """A stall, streamed or not, ends when the client leaves (no task sleeps on)."""
    clock = FakeClock(forever=True)
    stub = {"respond": {"content": "ok"}, "fault": {"stall_after_chunks": 0}}
    app, engine = make_app(stub, clock)
    path, body = await request_of(app, family, stream)

    await call(app, "POST", path, body, disconnect=True)

    assert clock.sleeps == [3600.0]
    assert engine.journal.entries()[-1].disconnected


ERRORED = ["chat", "completions", "responses", "embeddings"]


@pytest.mark.parametrize("family", ERRORED)
async def test_send_stub_quirks_apply_to_its_error(family: str) -> None:
    """A stub's quirks shape its scripted error's envelope and status on every family."""
    stub = {
        "quirks": ["error-code-int", "validation-422"],
        "respond": {"error": {"status": 400, "message": "scripted"}},
    }
    app, _ = make_app(stub, FakeClock())
    path, body = await request_of(app, family, False)

    answer = await call(app, "POST", path, body)

    assert answer.status == 422
    assert answer.json["error"]["code"] == 422
    assert answer.json["error"]["message"] == "scripted"


@pytest.mark.parametrize("family", ["ollama-chat", "ollama-generate"])
async def test_send_ollama_error_has_ollamas_shape(family: str) -> None:
    app, _ = make_app({"respond": {"error": {"status": 429, "message": "slow down"}}}, FakeClock())
    path, body = await request_of(app, family, False)

    answer = await call(app, "POST", path, body)

    assert (answer.status, answer.json) == (429, {"error": "slow down"})


async def test_send_assistants_error_fails_the_run_in_band() -> None:
    app, _ = make_app({"respond": {"error": {"status": 429}}}, FakeClock())
    path, body = await request_of(app, "assistants", False)

    answer = await call(app, "POST", path, body)
    run = await call(app, "GET", f"/v1/threads/{answer.json['thread_id']}/runs/{answer.json['id']}")

    assert answer.status == 200
    assert run.json["status"] == "failed"
    assert run.json["last_error"]["code"] == "rate_limit_exceeded"


@pytest.mark.parametrize(("family", "stream"), STREAMED, ids=IDS)
async def test_send_plain_answer_is_one_write(family: str, stream: bool) -> None:
    """With nothing paced or faulted, a body or a whole stream goes out in one write."""
    app, _ = make_app({"respond": {"content": "one two three four"}}, FakeClock())
    path, body = await request_of(app, family, stream)

    answer = await call(app, "POST", path, body)

    assert answer.status == 200
    assert answer.writes == 1
    assert b"four" in answer.body


@pytest.mark.parametrize(("family", "stream"), STREAMED, ids=IDS)
async def test_send_paced_stream_sleeps_per_frame(family: str, stream: bool) -> None:
    """A paced answer sleeps the time to first token, then per frame; a body is not paced."""
    clock = FakeClock()
    stub = {"respond": {"content": "one two three"}, "pacing": {"ttft_ms": 500}}
    app, _ = make_app({**stub}, clock)
    path, body = await request_of(app, family, stream)

    answer = await call(app, "POST", path, body)

    assert answer.status == 200
    if stream:
        assert clock.sleeps == [0.5]
        assert answer.writes > 2
    else:
        assert clock.sleeps == []
        assert answer.writes == 1


@pytest.mark.parametrize(("family", "stream"), STREAMED, ids=IDS)
async def test_send_reset_drops_after_the_headers(family: str, stream: bool) -> None:
    app, engine = make_app({"respond": {"content": "ok"}, "fault": {"reset": True}}, FakeClock())
    path, body = await request_of(app, family, stream)

    answer = await call(app, "POST", path, body)

    assert answer.dropped
    assert answer.body == b""
    assert engine.journal.entries()[-1].stub == "s"


@pytest.mark.parametrize(
    "family", ["chat", "completions", "responses", "ollama-chat", "ollama-generate"]
)
async def test_send_body_faults_are_one_table(family: str) -> None:
    """Non-streamed: ``malformed_after_chunks`` sends half the body, ``drop`` half then drops."""
    clock = FakeClock()
    app, _ = make_app({"respond": {"content": "a b c d e f g h"}}, clock)
    path, body = await request_of(app, family, False)
    whole = (await call(app, "POST", path, body)).body

    app, _ = make_app(
        {"respond": {"content": "a b c d e f g h"}, "fault": {"malformed_after_chunks": 1}}, clock
    )
    malformed = await call(app, "POST", path, body)
    app, _ = make_app(
        {"respond": {"content": "a b c d e f g h"}, "fault": {"drop_after_chunks": 1}}, clock
    )
    dropped = await call(app, "POST", path, body)

    assert json.loads(whole)
    assert abs(len(malformed.body) - len(whole) // 2) < 8  # Ollama's durations vary in length
    assert malformed.headers[b"content-length"] == str(len(malformed.body)).encode()
    with pytest.raises(json.JSONDecodeError):
        json.loads(malformed.body)
    assert dropped.dropped
    assert int(dropped.headers[b"content-length"]) > len(dropped.body) > 0
