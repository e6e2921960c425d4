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
    from mockgpt.models.common import validate_request

    return validate_request(CreateChatCompletionRequest, json.loads(BODY))


def _context() -> Any:
    from mockgpt.backends.base import RequestContext

    return RequestContext(
        endpoint="chat.completions", request=_chat_request(), body=json.loads(BODY)
    )


def parse_validate() -> Fn:
    from mockgpt.models import CreateChatCompletionRequest
    from mockgpt.models.common import validate_request

    return lambda: validate_request(CreateChatCompletionRequest, json.loads(BODY))


def parse_validate_json() -> Fn:
    from mockgpt.models import CreateChatCompletionRequest

    return lambda: CreateChatCompletionRequest.model_validate_json(BODY)


def prompt_tokens() -> Fn:
    from mockgpt.engine import chat_prompt_tokens

    request = _chat_request()
    return lambda: chat_prompt_tokens(request)


def select() -> Fn:
    from mockgpt.config import ServerConfig
    from mockgpt.engine import Engine

    engine, ctx = Engine(ServerConfig()), _context()
    return lambda: engine.select(ctx)


async def _drain(events: Any) -> list[Any]:
    return [event async for event in events]


def _echo_events() -> list[Any]:
    from mockgpt.backends.echo import EchoBackend

    ctx = _context()
    events: list[Any] = run_ready(_drain(EchoBackend().respond(ctx)))
    return events


def echo() -> Fn:
    from mockgpt.backends.echo import EchoBackend

    backend, ctx = EchoBackend(), _context()
    return lambda: run_ready(_drain(backend.respond(ctx)))


def _limited(events: list[Any]) -> list[Any]:
    from mockgpt.limits import Limiter

    limiter = Limiter(n=1, max_tokens=64, stops=(), prompt_tokens=93)
    out = [cut for event in events for cut in limiter.feed(event)]
    return out + limiter.close()


def limiter() -> Fn:
    events = _echo_events()
    return lambda: _limited(events)


def _meta() -> Any:
    from mockgpt.render.chat import ChatMeta

    return ChatMeta(id="chatcmpl-bench", created=1_700_000_000, model="gpt-4o-mini",
                    system_fingerprint="fp_bench")  # fmt: skip


def _built(events: list[Any], meta: Any) -> Any:
    from mockgpt.render.chat import ChatCompletionBuilder

    builder = ChatCompletionBuilder(meta, 1)
    for event in events:
        builder.feed(event)
    return builder.build()


def build() -> Fn:
    events, meta = _limited(_echo_events()), _meta()
    return lambda: _built(events, meta)


def dumps() -> Fn:
    from mockgpt.sse import dumps as encode

    completion = _built(_limited(_echo_events()), _meta())
    return lambda: encode(completion)


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
    ("parse: json.loads + models.common.validate_request", parse_validate),
    ("parse: CreateChatCompletionRequest.model_validate_json", parse_validate_json),
    ("prompt tokens: engine.chat_prompt_tokens (cached)", prompt_tokens),
    ("select: Engine.select (no stubs)", select),
    ("echo: EchoBackend.respond, drained", echo),
    ("limiter: Limiter feed + close (max_tokens 64)", limiter),
    ("build: ChatCompletionBuilder feed + build", build),
    ("dumps: sse.dumps(ChatCompletion)", dumps),
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
