"""In-process CPU per piece of mockgpt's chat pipeline, for PIPELINE.md's budget (section 6).

Run::

    python bench/bench_pieces.py [--calls 4000] [--rounds 3]

Each row is one piece, timed on the benchmark request of ``bench_wrk.py``
(``floor_app.request_body``: system message + 63-word user message, ``max_tokens`` 64, not
streamed): CPU µs per call (``time.process_time``), best of ``--rounds`` rounds of ``--calls``
calls. Token counts are cached after the first call, as when one prompt repeats.

Rows name what they call. The pipeline is being reshaped (``Turn``, ``Engine.serve``,
``http/send.py``), so a piece whose import or call no longer fits is printed as ``moved`` with
the reason instead of failing the run: update or drop that row. The whole-app rows drive one
ASGI call each (one ``http.request`` in, the sends collected) on one event loop; the raw ASGI
floor there is the harness itself.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from floor_app import CHAT_PATH, request_body

BODY = request_body(stream=False)
STREAM_BODY = request_body(stream=True)

Fn = Callable[[], object]
Batch = Callable[[int], None]


def cpu_us(fn: Fn, calls: int, rounds: int, batch: Batch | None = None) -> float:
    """CPU µs per call of ``fn``: the best of ``rounds`` rounds of ``calls`` calls.

    ``batch(calls)``, when given, makes the calls itself (the ASGI rows: one event loop run
    per round, so entering the loop is not counted per call).
    """
    best = float("inf")
    for _ in range(rounds):
        start = time.process_time()
        if batch is not None:
            batch(calls)
        else:
            for _ in range(calls):
                fn()
        best = min(best, (time.process_time() - start) / calls * 1e6)
    return best


def run_ready(coroutine: Coroutine[Any, Any, Any]) -> Any:
    """Run a coroutine that never waits (a ready backend's events) without an event loop."""
    try:
        coroutine.send(None)
    except StopIteration as stop:
        return stop.value
    coroutine.close()
    raise RuntimeError("the coroutine waited: it needs an event loop")


# --- the pieces: each returns the callable to time, built from today's modules -----------------


def _chat_request() -> Any:
    from mockgpt.models import CreateChatCompletionRequest
    from mockgpt.models.common import validate_request_json

    return validate_request_json(CreateChatCompletionRequest, BODY)


def _turn() -> Any:
    from mockgpt.models.chat_prompt import chat_prompt
    from mockgpt.turn import Turn

    chat = _chat_request()
    prompt = chat_prompt(chat)
    return Turn(
        endpoint="chat.completions",
        request=chat,
        prompt=prompt,
        raw=BODY,
        model=chat.model,
        max_tokens=chat.token_limit,
        stops=chat.stop_sequences,
        prompt_tokens=prompt.tokens,
    )


def parse_validate() -> Fn:
    from mockgpt.models import CreateChatCompletionRequest
    from mockgpt.models.common import validate_request

    return lambda: validate_request(CreateChatCompletionRequest, json.loads(BODY))


def parse_validate_json() -> Fn:
    from mockgpt.models import CreateChatCompletionRequest
    from mockgpt.models.common import validate_request_json

    return lambda: validate_request_json(CreateChatCompletionRequest, BODY)


def prompt_tokens() -> Fn:
    from mockgpt.models.chat_prompt import chat_prompt

    request = _chat_request()
    return lambda: chat_prompt(request).tokens


def turn() -> Fn:
    return _turn


def select() -> Fn:
    from mockgpt.config import ServerConfig
    from mockgpt.engine import Engine
    from mockgpt.scenarios.matchers import MatchView

    engine, ready = Engine(ServerConfig()), _turn()
    return lambda: engine.registry.select(MatchView(ready))


def echo() -> Fn:
    from mockgpt.backends.echo import EchoBackend

    backend, ready = EchoBackend(), _turn()
    return lambda: backend.respond(ready)


def _echo_events() -> list[Any]:
    from mockgpt.backends.echo import EchoBackend

    events: list[Any] = EchoBackend().respond(_turn())
    return events


def limiter() -> Fn:
    from mockgpt.limits import Limiter, limit_ready

    events = _echo_events()
    return lambda: limit_ready(events, Limiter(n=1, max_tokens=64, stops=(), prompt_tokens=93))


def serve() -> Fn:
    from mockgpt.config import ServerConfig
    from mockgpt.engine import Engine

    engine, ready = Engine(ServerConfig()), _turn()
    return lambda: engine.serve(ready)


def _meta() -> Any:
    from mockgpt.render.chat import ChatMeta

    return ChatMeta(id="chatcmpl-bench", created=1_700_000_000, model="gpt-4o-mini",
                    system_fingerprint="fp_bench")  # fmt: skip


def _builder(events: Any, meta: Any) -> Any:
    from mockgpt.render.chat import ChatCompletionBuilder

    builder = ChatCompletionBuilder(meta, 1)
    for event in events:
        builder.feed(event)
    return builder


def build_dumps() -> Fn:
    from mockgpt.sse import dumps as encode

    events, meta = serve()().events, _meta()
    return lambda: encode(_builder(events, meta).build())


def template() -> Fn:
    events, meta = serve()().events, _meta()
    return lambda: _builder(events, meta).body()


# --- whole apps, one ASGI call each ----------------------------------------------------------

ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


def asgi_call(app_factory: Callable[[], ASGIApp], body: bytes) -> Fn:
    """One call of the app per ``fn()``: POST ``CHAT_PATH`` with ``body``, sends collected."""
    app = app_factory()
    loop = asyncio.new_event_loop()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": CHAT_PATH,
        "raw_path": CHAT_PATH.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"127.0.0.1"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    request = {"type": "http.request", "body": body, "more_body": False}

    async def once() -> None:
        sent: list[dict[str, Any]] = []
        received = False

        async def receive() -> dict[str, Any]:
            nonlocal received
            if received:
                await asyncio.Event().wait()  # a client that stays: disconnect never comes
            received = True
            return request

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await app(dict(scope), receive, send)
        if sent[0].get("status") != 200:
            raise RuntimeError(f"status {sent[0].get('status')}: {sent[1:2]}")

    async def many(calls: int) -> None:
        for _ in range(calls):
            await once()

    def batch(calls: int) -> None:
        loop.run_until_complete(many(calls))

    return _Batched(batch)


class _Batched:
    """A one-call ``Fn`` that also carries its batch runner (for ``cpu_us``)."""

    def __init__(self, batch: Batch) -> None:
        self.batch = batch

    def __call__(self) -> object:
        self.batch(1)
        return None


def _raw() -> ASGIApp:
    from raw_app import create_app

    return create_app()


def _floor() -> ASGIApp:
    from floor_app import create_app

    app: ASGIApp = create_app()
    return app


def _mockgpt() -> ASGIApp:
    from mockgpt.app import create_app

    app: ASGIApp = create_app()
    return app


PIECES: list[tuple[str, Callable[[], Fn]]] = [
    ("parse: json.loads + validate_request (the old way)", parse_validate),
    ("parse: validate_request_json (model_validate_json)", parse_validate_json),
    ("prompt: chat_prompt(request).tokens (token counts cached)", prompt_tokens),
    ("turn: parse + prompt + Turn", turn),
    ("select: StubRegistry.select (no stubs)", select),
    ("echo: EchoBackend.respond (ready events)", echo),
    ("limiter: limit_ready (max_tokens 64)", limiter),
    ("serve: Engine.serve (select, echo, limits)", serve),
    ("render: ChatCompletionBuilder + dumps(build())", build_dumps),
    ("render: ChatCompletionBuilder + body() (template)", template),
    ("app: raw ASGI floor, one call (the harness)", lambda: asgi_call(_raw, BODY)),
    ("app: Starlette floor, one call", lambda: asgi_call(_floor, BODY)),
    ("app: mockgpt.app.create_app(), one call", lambda: asgi_call(_mockgpt, BODY)),
    ("app: Starlette floor, one call, streamed", lambda: asgi_call(_floor, STREAM_BODY)),
    ("app: mockgpt, one call, streamed", lambda: asgi_call(_mockgpt, STREAM_BODY)),
]


def main(argv: list[str] | None = None) -> int:
    """Print CPU µs per call for each piece; 1 when a piece moved (its row says why)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--calls", type=int, default=4000, help="calls per round (default 4000)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; the best counts (3)")
    args = parser.parse_args(argv)
    print(f"request: {len(BODY)} bytes; CPU µs per call, best of {args.rounds} x {args.calls}")
    moved = 0
    for name, make in PIECES:
        try:
            fn = make()
            fn()  # warm caches (token counts) and fail here, not mid-timing
            batch = fn.batch if isinstance(fn, _Batched) else None
            figure = f"{cpu_us(fn, args.calls, args.rounds, batch):8.1f}"
        except (ImportError, AttributeError, TypeError, ValueError, RuntimeError) as exc:
            moved += 1
            figure = f"   moved ({type(exc).__name__}: {exc})"
        print(f"{name:58} {figure}")
    return 1 if moved else 0


if __name__ == "__main__":
    raise SystemExit(main())
