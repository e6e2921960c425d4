"""A misbehaving upstream: a raw ASGI app served by uvicorn on 127.0.0.1 and a free port.

What it does depends on the request's ``model``:

- ``hang``: reads the request and never answers, until the proxy closes the connection;
- ``hang-after-headers``: sends 200 ``text/event-stream`` headers, then nothing;
- ``stall``: sends one chunk ("hello"), then nothing;
- ``huge``: sends the start of an SSE line longer than any limit, then nothing;
- ``huge-later``: sends one chunk, then such a line;
- ``json``: answers ``stream: true`` with one ``application/json`` body (per path: a
  ``chat.completion``, a ``text_completion`` or a ``response``);
- anything else: a normal chat completion stream saying "healthy".

``arrived`` counts requests read, ``closed`` requests whose connection the proxy closed
before they were answered.
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Callable
from typing import Any

import uvicorn

SSE = [(b"content-type", b"text/event-stream")]
TOOL_CALL = {"name": "get_weather", "arguments": '{"city": "Oslo"}'}
HUGE_LINE_BYTES = 256 * 1024


def _chunk(content: str | None = None, finish: str | None = None) -> bytes:
    delta = {} if content is None else {"content": content}
    data = {
        "id": "chatcmpl-up",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return b"data: " + json.dumps(data).encode() + b"\n\n"


def json_body(path: str, model: str) -> dict[str, Any]:
    """The one body a non-streaming upstream sends for ``path``."""
    usage = {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12}
    if path.endswith("/responses"):
        return {
            "id": "resp_up",
            "object": "response",
            "created_at": 1,
            "status": "completed",
            "model": model,
            "output": [
                {
                    "type": "message",
                    "id": "msg_up",
                    "role": "assistant",
                    "status": "completed",
                    "content": [
                        {"type": "output_text", "text": "converted text", "annotations": []}
                    ],
                },
                {"type": "function_call", "id": "fc_up", "call_id": "call_up", **TOOL_CALL},
            ],
            "usage": {"input_tokens": 5, "output_tokens": 7, "total_tokens": 12},
        }
    if path.endswith("/chat/completions"):
        message = {
            "role": "assistant",
            "content": "converted text",
            "tool_calls": [{"id": "call_up", "type": "function", "function": TOOL_CALL}],
        }
        return {
            "id": "chatcmpl-up",
            "object": "chat.completion",
            "created": 1,
            "model": model,
            "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls"}],
            "usage": usage,
        }
    return {
        "id": "cmpl-up",
        "object": "text_completion",
        "created": 1,
        "model": model,
        "choices": [{"index": 0, "text": "converted text", "finish_reason": "length"}],
        "usage": usage,
    }


class FakeUpstream:
    """The app, its server thread and what it saw (see the module doc)."""

    def __init__(self) -> None:
        self.arrived = 0
        self.closed = 0
        self._seen = threading.Condition()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def wait(self, condition: Callable[[FakeUpstream], bool], timeout_s: float = 10) -> bool:
        """Wait until ``condition(self)`` holds; False after ``timeout_s``."""
        with self._seen:
            return self._seen.wait_for(lambda: condition(self), timeout_s)

    def _note(self, what: str) -> None:
        with self._seen:
            setattr(self, what, getattr(self, what) + 1)
            self._seen.notify_all()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return  # lifespan: nothing to start
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        model = json.loads(body or b"{}").get("model", "")
        self._note("arrived")

        async def until_closed() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass
            self._note("closed")

        if model == "json":
            data = json.dumps(json_body(scope["path"], model)).encode()
            headers = [(b"content-type", b"application/json")]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": data})
            return
        if model == "hang":
            await until_closed()
            return
        await send({"type": "http.response.start", "status": 200, "headers": SSE})
        if model in ("stall", "huge-later"):
            await send({"type": "http.response.body", "body": _chunk("hello"), "more_body": True})
        if model in ("huge", "huge-later"):
            line = b"data: " + b"x" * HUGE_LINE_BYTES  # no line end: it never ends
            await send({"type": "http.response.body", "body": line, "more_body": True})
        if model in ("hang-after-headers", "stall", "huge", "huge-later"):
            await until_closed()
            return
        frames = _chunk("healthy") + _chunk(finish="stop") + b"data: [DONE]\n\n"
        await send({"type": "http.response.body", "body": frames})

    def start(self) -> FakeUpstream:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.bind(("127.0.0.1", 0))
        sock.listen(2048)
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self, log_level="warning", lifespan="off", access_log=False)
        server = self._server = uvicorn.Server(config)
        self._sock = sock
        self._thread = threading.Thread(
            target=lambda: asyncio.run(server.serve(sockets=[sock])), daemon=True
        )
        self._thread.start()
        while not server.started:
            assert self._thread.is_alive()
            threading.Event().wait(0.001)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
            self._server.force_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._sock.close()
